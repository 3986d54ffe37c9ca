package leader

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// protobufType is the content type of Kubernetes protobuf, which client-go uses for the
// built-in types it writes.
const protobufType = "application/vnd.kubernetes.protobuf"

// protobufMagic starts every Kubernetes protobuf body, before a runtime.Unknown that wraps the
// object's own encoding.
var protobufMagic = []byte("k8s\x00")

// microTimeLayout is metav1.MicroTime's JSON form.
const microTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// decodeLeaseProto reads the fields of a Lease this server keeps from its Kubernetes protobuf
// form: runtime.Unknown{raw: 2} around Lease{metadata: 1, spec: 2}, ObjectMeta{name: 1,
// namespace: 3, resourceVersion: 6} and LeaseSpec{holderIdentity: 1, leaseDurationSeconds: 2,
// acquireTime: 3, renewTime: 4, leaseTransitions: 5} with MicroTime{seconds: 1, nanos: 2}.
func decodeLeaseProto(body []byte) (lease, error) {
	var l lease
	rest, ok := bytes.CutPrefix(body, protobufMagic)
	if !ok {
		return l, errors.New("no Kubernetes protobuf prefix")
	}
	var raw []byte
	errs := []error{fields(rest, func(num protowire.Number, v []byte, _ uint64) {
		if num == 2 {
			raw = v
		}
	})}
	errs = append(errs, fields(raw, func(num protowire.Number, v []byte, _ uint64) {
		switch num {
		case 1:
			errs = append(errs, fields(v, func(num protowire.Number, v []byte, _ uint64) {
				switch num {
				case 1:
					l.Metadata.Name = string(v)
				case 3:
					l.Metadata.Namespace = string(v)
				case 6:
					l.Metadata.ResourceVersion = string(v)
				}
			}))
		case 2:
			errs = append(errs, fields(v, func(num protowire.Number, v []byte, n uint64) {
				var err error
				switch num {
				case 1:
					l.Spec.HolderIdentity = string(v)
				case 2:
					l.Spec.LeaseDurationSeconds = int32(n)
				case 3:
					l.Spec.AcquireTime, err = microTime(v)
				case 4:
					l.Spec.RenewTime, err = microTime(v)
				case 5:
					l.Spec.LeaseTransitions = int32(n)
				}
				errs = append(errs, err)
			}))
		}
	}))
	l.APIVersion, l.Kind = "coordination.k8s.io/v1", "Lease"
	return l, errors.Join(errs...)
}

// microTime returns a MicroTime message in its JSON form.
func microTime(b []byte) (string, error) {
	var sec, nanos uint64
	err := fields(b, func(num protowire.Number, _ []byte, n uint64) {
		switch num {
		case 1:
			sec = n
		case 2:
			nanos = n
		}
	})
	return time.Unix(int64(sec), int64(nanos)).UTC().Format(microTimeLayout), err
}

// fields calls f with each field of a message: its number and, by wire type, its bytes
// (length-delimited) or its value (varint). Other wire types are skipped.
func fields(b []byte, f func(num protowire.Number, v []byte, n uint64)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
			}
			f(num, v, 0)
			n = m
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
			}
			f(num, nil, v)
			n = m
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
		}
		b = b[n:]
	}
	return nil
}
