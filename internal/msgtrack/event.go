package msgtrack

import "time"

// Message is one file in a watched folder. Its identity is Path: the other
// fields describe it for the records and may change while it stays.
type Message struct {
	Integration string    `json:"integration,omitempty"`
	Connector   string    `json:"connector,omitempty"`
	ProjectKey  string    `json:"projectKey,omitempty"`
	Folder      string    `json:"folder,omitempty"`
	Issue       string    `json:"issue,omitempty"`
	Name        string    `json:"name,omitempty"`
	Path        string    `json:"path"`
	Size        int64     `json:"size,omitempty"`
	ModTime     time.Time `json:"modTime,omitzero"`
}

// Kind says what an Event reports.
type Kind string

// The kinds of Event.
const (
	KindAppeared      Kind = "appeared"
	KindResolved      Kind = "resolved"
	KindStatusChanged Kind = "status_changed"
	KindOnlineChanged Kind = "online_changed"
)

// valid reports whether k is one of the kinds above, so that Load rejects
// events it could not turn into records.
func (k Kind) valid() bool {
	switch k {
	case KindAppeared, KindResolved, KindStatusChanged, KindOnlineChanged:
		return true
	}
	return false
}

// Event is one record to deliver. The JSON tags are the persisted form.
type Event struct {
	Kind Kind `json:"kind"`
	// Message is set for appeared and resolved; resolved carries the message
	// as last seen, since the file is gone.
	Message  Message   `json:"message,omitzero"`
	Observed time.Time `json:"observed"`
	// TimeInFolder is Observed minus Message.ModTime for resolved, never
	// negative, and zero when the modification time is unknown.
	TimeInFolder time.Duration `json:"timeInFolder,omitempty"`

	Integration   string `json:"integration,omitempty"`
	Connector     string `json:"connector,omitempty"`
	ProjectKey    string `json:"projectKey,omitempty"`
	State         string `json:"state,omitempty"`
	PreviousState string `json:"previousState,omitempty"`
	Online        bool   `json:"online,omitempty"`
}

// Time is when the event happened, the record's timestamp: the file's
// modification time for an appearance (the observation when unknown), the
// observation that noticed it for every other kind.
func (e *Event) Time() time.Time {
	if e.Kind == KindAppeared && !e.Message.ModTime.IsZero() {
		return e.Message.ModTime
	}
	return e.Observed
}
