package leader

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Where the fake Kubernetes API keeps the one Lease of the tests.
const (
	leaseNamespace = "monitoring"
	leaseName      = "otelcol-backbone"
	leasesPath     = "/apis/coordination.k8s.io/v1/namespaces/" + leaseNamespace + "/leases"
)

// kubeAPI is the part of a Kubernetes API server that leader election uses: one
// coordination.k8s.io/v1 Lease, read (GET), created (POST) and replaced (PUT) with the
// API's optimistic concurrency: a write whose metadata.resourceVersion is not the stored
// one is refused with 409 Conflict, so that of two candidates only one takes the Lease.
type kubeAPI struct {
	url string

	mu      sync.Mutex
	version int            // resourceVersion of the stored Lease; 0: none
	spec    leaseSpec      // as the last writer sent it
	holders []holderChange // each change of spec.holderIdentity
}

// holderChange is a write that gave the Lease a new holder.
type holderChange struct {
	holder string
	at     time.Time
}

// lease is the subset of a Lease that the server reads and writes.
type lease struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Metadata   leaseMeta `json:"metadata"`
	Spec       leaseSpec `json:"spec"`
}

type leaseMeta struct {
	Name            string `json:"name"`
	Namespace       string `json:"namespace,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// leaseSpec is coordination.k8s.io/v1 LeaseSpec; times are metav1.MicroTime in JSON form.
type leaseSpec struct {
	HolderIdentity       string `json:"holderIdentity,omitempty"`
	LeaseDurationSeconds int32  `json:"leaseDurationSeconds,omitempty"`
	AcquireTime          string `json:"acquireTime,omitempty"`
	RenewTime            string `json:"renewTime,omitempty"`
	LeaseTransitions     int32  `json:"leaseTransitions,omitempty"`
}

// newKubeAPI serves the fake API on a free port of 127.0.0.1 until the test ends.
func newKubeAPI(t *testing.T) *kubeAPI {
	t.Helper()
	k := &kubeAPI{}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	k.url = srv.URL
	return k
}

func (k *kubeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == leasesPath+"/"+leaseName:
		if k.version == 0 {
			writeStatus(w, http.StatusNotFound, "NotFound", "leases.coordination.k8s.io \""+leaseName+"\" not found")
			return
		}
		k.writeLease(w, http.StatusOK)
	case r.Method == http.MethodPost && r.URL.Path == leasesPath:
		in, ok := readLease(w, r)
		if !ok {
			return
		}
		if k.version != 0 {
			writeStatus(w, http.StatusConflict, "AlreadyExists", "leases.coordination.k8s.io \""+leaseName+"\" already exists")
			return
		}
		k.store(in.Spec)
		k.writeLease(w, http.StatusCreated)
	case r.Method == http.MethodPut && r.URL.Path == leasesPath+"/"+leaseName:
		in, ok := readLease(w, r)
		if !ok {
			return
		}
		if k.version == 0 {
			writeStatus(w, http.StatusNotFound, "NotFound", "leases.coordination.k8s.io \""+leaseName+"\" not found")
			return
		}
		if in.Metadata.ResourceVersion != strconv.Itoa(k.version) {
			writeStatus(w, http.StatusConflict, "Conflict", "the object has been modified; please apply your changes to the latest version and try again")
			return
		}
		k.store(in.Spec)
		k.writeLease(w, http.StatusOK)
	default:
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
	}
}

// store keeps spec as a new version of the Lease and notes a change of holder.
func (k *kubeAPI) store(spec leaseSpec) {
	k.version++
	k.spec = spec
	if n := len(k.holders); n == 0 || k.holders[n-1].holder != spec.HolderIdentity {
		k.holders = append(k.holders, holderChange{holder: spec.HolderIdentity, at: time.Now()})
	}
}

// holderChanges returns the changes of holder so far.
func (k *kubeAPI) holderChanges() []holderChange {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]holderChange(nil), k.holders...)
}

func (k *kubeAPI) writeLease(w http.ResponseWriter, status int) {
	writeJSON(w, status, lease{
		APIVersion: "coordination.k8s.io/v1",
		Kind:       "Lease",
		Metadata:   leaseMeta{Name: leaseName, Namespace: leaseNamespace, ResourceVersion: strconv.Itoa(k.version)},
		Spec:       k.spec,
	})
}

// readLease decodes the Lease of a write, sent as JSON or, as client-go sends built-in types,
// as Kubernetes protobuf; a body that is not one is answered 400. Answers are JSON, which
// client-go accepts as well.
func readLease(w http.ResponseWriter, r *http.Request) (lease, bool) {
	var in lease
	body, err := io.ReadAll(r.Body)
	if err == nil {
		if strings.HasPrefix(r.Header.Get("Content-Type"), protobufType) {
			in, err = decodeLeaseProto(body)
		} else {
			err = json.Unmarshal(body, &in)
		}
	}
	if err != nil || in.Metadata.Name != leaseName {
		writeStatus(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("not a Lease named %q: %v", leaseName, err))
		return in, false
	}
	return in, true
}

// writeStatus answers with a metav1.Status, as the API server does for errors; client-go
// reads its reason (NotFound, Conflict) to decide what to do next.
func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	writeJSON(w, code, map[string]any{
		"apiVersion": "v1", "kind": "Status", "status": "Failure",
		"reason": reason, "message": message, "code": code,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeKubeconfig writes a kubeconfig that points client-go at the fake API and returns its
// path; the collectors read it through KUBECONFIG (the extension's auth_type: kubeConfig).
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %q
users:
- name: test
  user:
    token: test
contexts:
- name: test
  context:
    cluster: test
    user: test
current-context: test
`, server), 0o600))
	return path
}
