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
	// Entered is when the message came into its folder: the scanner's time
	// (the later of modification and change times), clamped by the tracker
	// to no earlier than the previous listing that did not see it and no
	// later than the listing that did. Zero in state written before it existed.
	Entered time.Time `json:"entered,omitzero"`
	// BaseURL is the Jira the connector lives on, when the API gives it.
	BaseURL string `json:"baseUrl,omitempty"`
	// Found is when the first scan of a tracker without state found the
	// message, for one that Baseline was told to report (found at start);
	// zero for every other.
	Found time.Time `json:"found,omitzero"`
}

// enteredOrModified is when the message came into its folder, its
// modification time for state written before Entered existed.
func (m *Message) enteredOrModified() time.Time {
	if !m.Entered.IsZero() {
		return m.Entered
	}
	return m.ModTime
}

// holdStart is when its hold (see Tracker.Hold) began: when it was found,
// for a message found at start, otherwise when it entered its folder.
func (m *Message) holdStart() time.Time {
	if !m.Found.IsZero() {
		return m.Found
	}
	return m.Entered
}

// Kind says what an Event reports.
type Kind string

// The kinds of Event.
const (
	KindAppeared       Kind = "appeared"
	KindResolved       Kind = "resolved"
	KindStatusChanged  Kind = "status_changed"
	KindOnlineChanged  Kind = "online_changed"
	KindDetailsChanged Kind = "details_changed"
)

// valid reports whether k is one of the kinds above, so that Load rejects
// events it could not turn into records.
func (k Kind) valid() bool {
	switch k {
	case KindAppeared, KindResolved, KindStatusChanged, KindOnlineChanged, KindDetailsChanged:
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
	// TimeInFolder is Observed minus the time the message entered its
	// folder: for resolved, how long it stayed; for an appearance held back
	// (see Tracker.Hold) or found at start, how long it had been there;
	// never negative, zero when unknown or for an appearance reported on
	// arrival.
	TimeInFolder time.Duration `json:"timeInFolder,omitempty"`

	Integration   string `json:"integration,omitempty"`
	Connector     string `json:"connector,omitempty"`
	ProjectKey    string `json:"projectKey,omitempty"`
	State         string `json:"state,omitempty"`
	PreviousState string `json:"previousState,omitempty"`
	Online        bool   `json:"online,omitempty"`
	// BaseURL is the connector's Jira, for online_changed and details_changed.
	BaseURL string `json:"baseUrl,omitempty"`
	// IncomingDetails and OutgoingDetails are Backbone's texts about the
	// connector after the change, for online_changed.
	IncomingDetails string `json:"incomingDetails,omitempty"`
	OutgoingDetails string `json:"outgoingDetails,omitempty"`
	// Direction ("incoming" or "outgoing") and Details (the new text, empty
	// when cleared) are set for details_changed.
	Direction string `json:"direction,omitempty"`
	Details   string `json:"details,omitempty"`
}

// Time is when the event happened, the record's timestamp: when the message
// entered its folder for an appearance, also one held back until it was
// stuck (the observation when unknown); the observation that noticed it for
// every other kind, and for the appearance of a message found at start,
// which may have entered its folder days before: backends file a record
// that old out of sight of recent searches, or refuse it. It is the one
// place a record's timestamp is decided.
func (e *Event) Time() time.Time {
	if e.Kind == KindAppeared && e.Message.Found.IsZero() {
		if t := e.Message.enteredOrModified(); !t.IsZero() {
			return t
		}
	}
	return e.Observed
}
