package backboneapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// decodeLenient decodes data into v, a pointer to one of this package's
// structs. The vendor may change the API at any time, so a field whose JSON
// type changed costs only that field: an unambiguous form is converted
// ("5" to 5, "true" to true, a date string to epoch milliseconds where the
// field is one), anything else is left zero (nil for pointers) and its path
// is listed in the value's Unread field. Only a body that is not JSON, or
// whose top-level value is not an object, is an error.
func decodeLenient(data []byte, v any) error {
	if u, ok := v.(json.Unmarshaler); ok {
		// The integrations list decodes its elements one by one; json.Unmarshal
		// would first scan the whole body once more.
		return u.UnmarshalJSON(data)
	}
	err := json.Unmarshal(data, v)
	ute, ok := errors.AsType[*json.UnmarshalTypeError](err)
	if err == nil || !ok || ute.Field == "" {
		return err
	}
	// Most bodies decode at the first try; only a changed type takes this
	// slower path, field by field.
	rv := reflect.ValueOf(v).Elem()
	rv.SetZero()
	var r lenientReader
	r.object(data, rv, "")
	if f := rv.FieldByName("Unread"); f.IsValid() && len(r.unread) > 0 {
		f.Set(reflect.ValueOf(r.unread))
	}
	return nil
}

// lenientReader collects the paths of the fields it had to leave out.
type lenientReader struct {
	unread []string
}

// epochMillisTag marks an int64 field holding epoch milliseconds, which also
// accepts a date string.
const epochMillisTag = "epochms"

// object fills the struct v from a JSON object field by field; it reports
// false, leaving v zero, when raw is not an object.
func (r *lenientReader) object(raw []byte, v reflect.Value, path string) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return false
	}
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		val, ok := lookupField(fields, name)
		if !ok {
			continue
		}
		fieldPath := name
		if path != "" {
			fieldPath = path + "." + name
		}
		if !r.value(val, v.Field(i), fieldPath, sf.Tag.Get("lenient")) {
			r.unread = append(r.unread, fieldPath)
		}
	}
	return true
}

// lookupField finds a key as encoding/json does: exactly, else ignoring case.
func lookupField(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if val, ok := fields[name]; ok {
		return val, true
	}
	for k, val := range fields {
		if strings.EqualFold(k, name) {
			return val, true
		}
	}
	return nil, false
}

// value sets v from raw and reports whether it could be read; null reads as
// zero. A struct that could be read only in part reports true: its missing
// fields are listed on their own.
func (r *lenientReader) value(raw json.RawMessage, v reflect.Value, path, tag string) bool {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		v.SetZero()
		return true
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if !r.value(raw, elem.Elem(), path, tag) {
			return false
		}
		v.Set(elem)
		return true
	case reflect.Struct:
		return r.object(raw, v, path)
	case reflect.String:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false // a number or an object is no name: better absent than invented
		}
		v.SetString(s)
		return true
	case reflect.Bool:
		b, ok := readBool(raw)
		v.SetBool(b)
		return ok
	case reflect.Int64:
		n, ok := readInt(raw, tag == epochMillisTag)
		v.SetInt(n)
		return ok
	}
	// Kinds this package does not use: strict.
	return json.Unmarshal(raw, v.Addr().Interface()) == nil
}

// readBool reads true/false, also as a string or as the numbers 0 and 1.
func readBool(raw json.RawMessage) (bool, bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(strings.ToLower(strings.TrimSpace(s)))
	}
	switch string(raw) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// readInt reads an integer, also as a whole float ("5.0", 1e3) or a string
// holding one; with dates, a date string gives its epoch milliseconds.
func readInt(raw json.RawMessage, dates bool) (int64, bool) {
	text := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		text = strings.TrimSpace(s)
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
			return int64(f), true
		}
		return 0, false
	}
	if dates {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, text); err == nil {
				return t.UnixMilli(), true
			}
		}
	}
	return 0, false
}

// dateLayouts are the date forms accepted for epoch milliseconds: RFC 3339
// and the form of the API's own createdDate ("2016-11-10T11:07:10+0100").
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"}
