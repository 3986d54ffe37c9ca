package backbonesim

// The types below mirror the vendor's JSON examples field for field and in the same
// order; omitempty only where the examples leave a field out.

type integrationJSON struct {
	CreatedUser        string         `json:"createdUser"`
	LastModifiedUser   string         `json:"lastModifiedUser"`
	CreatedDate        string         `json:"createdDate"`
	LastModifiedDate   string         `json:"lastModifiedDate"`
	IntegrationKey     string         `json:"integrationKey"`
	Summary            string         `json:"summary"`
	Description        string         `json:"description"`
	Distributed        bool           `json:"distributed,omitempty"`
	Master             *bool          `json:"master,omitempty"`
	PartnerProjectType string         `json:"partnerProjectType,omitempty"`
	Status             *statusJSON    `json:"status,omitempty"`
	FirstConnector     connectorJSON  `json:"firstConnector"`
	SecondConnector    *connectorJSON `json:"secondConnector,omitempty"`
}

type statusJSON struct {
	Status          string               `json:"status"`
	FirstConnector  connectorStatusJSON  `json:"firstConnector"`
	SecondConnector *connectorStatusJSON `json:"secondConnector,omitempty"`
}

type connectorStatusJSON struct {
	ConnectorKey             string `json:"connectorKey"`
	StartTime                int64  `json:"startTime,omitempty"`
	Online                   bool   `json:"online"`
	Reconnecting             bool   `json:"reconnecting"`
	IncomingRouteStatus      string `json:"incomingRouteStatus"`
	IncomingProcessingStatus string `json:"incomingProcessingStatus"`
	IncomingDetails          string `json:"incomingDetails"`
	OutgoingRouteStatus      string `json:"outgoingRouteStatus"`
	OutgoingProcessingStatus string `json:"outgoingProcessingStatus"`
	OutgoingDetails          string `json:"outgoingDetails"`
	ExternalRouteStatus      string `json:"externalRouteStatus"`
	IssuesInError            int    `json:"issuesInError"`
}

type connectorJSON struct {
	CreatedUser      string         `json:"createdUser"`
	LastModifiedUser string         `json:"lastModifiedUser"`
	CreatedDate      string         `json:"createdDate"`
	LastModifiedDate string         `json:"lastModifiedDate"`
	ConnectorKey     string         `json:"connectorKey"`
	ProjectKey       string         `json:"projectKey"`
	Connection       connectionJSON `json:"connection"`
}

type connectionJSON struct {
	Application applicationJSON `json:"application"`
	Connector   queuesJSON      `json:"connector"`
}

type applicationJSON struct {
	BaseURL string `json:"baseUrl"`
	User    string `json:"user"`
}

type queuesJSON struct {
	SendQueue                   queueJSON `json:"sendQueue"`
	ReceiveQueue                queueJSON `json:"receiveQueue"`
	InitialInternalPollingDelay int       `json:"initialInternalPollingDelay"`
	InternalPollingInterval     int       `json:"internalPollingInterval"`
}

type queueJSON struct {
	Type string `json:"@type"`
	Name string `json:"name,omitempty"`
	Path string `json:"path,omitempty"`
}

// errorJSON is Jira's REST error body.
type errorJSON struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// integrationView renders an integration as the API shows it; callers hold s.mu.
func (s *Sim) integrationView(in *integration) integrationJSON {
	sp := in.spec
	v := integrationJSON{
		CreatedUser:      sp.CreatedUser,
		LastModifiedUser: sp.LastModifiedUser,
		CreatedDate:      sp.CreatedDate,
		LastModifiedDate: sp.LastModifiedDate,
		IntegrationKey:   sp.Key,
		Summary:          sp.Summary,
		Description:      sp.Description,
		FirstConnector:   connectorView(in.connectors[0]),
	}
	if _, failing := s.statusFailure(sp.Key); !failing && !s.quirks.ListWithoutStatus {
		st := s.statusView(in)
		v.Status = &st
	}
	if sp.Distributed {
		master := sp.Master
		v.Distributed, v.Master, v.PartnerProjectType = true, &master, sp.PartnerProjectType
	}
	if len(in.connectors) > 1 {
		second := connectorView(in.connectors[1])
		v.SecondConnector = &second
	}
	return v
}

// statusView renders what GET integrations/{key}/status answers; callers hold s.mu.
func (s *Sim) statusView(in *integration) statusJSON {
	v := statusJSON{Status: in.status, FirstConnector: s.connectorStatusView(in, in.connectors[0])}
	if len(in.connectors) > 1 {
		second := s.connectorStatusView(in, in.connectors[1])
		v.SecondConnector = &second
	}
	return v
}

func (s *Sim) connectorStatusView(in *integration, c *connector) connectorStatusJSON {
	return connectorStatusJSON{
		ConnectorKey:             c.spec.Key,
		StartTime:                c.startTime,
		Online:                   c.online,
		Reconnecting:             c.reconnecting,
		IncomingRouteStatus:      c.incomingRoute,
		IncomingProcessingStatus: c.incomingProcessing,
		IncomingDetails:          c.incomingDetails,
		OutgoingRouteStatus:      c.outgoingRoute,
		OutgoingProcessingStatus: c.outgoingProcessing,
		OutgoingDetails:          c.outgoingDetails,
		ExternalRouteStatus:      c.externalRoute,
		IssuesInError:            s.issuesInError(in, c),
	}
}

func connectorView(c *connector) connectorJSON {
	sp := c.spec
	return connectorJSON{
		CreatedUser:      sp.CreatedUser,
		LastModifiedUser: sp.LastModifiedUser,
		CreatedDate:      sp.CreatedDate,
		LastModifiedDate: sp.LastModifiedDate,
		ConnectorKey:     sp.Key,
		ProjectKey:       sp.ProjectKey,
		Connection: connectionJSON{
			Application: applicationJSON{BaseURL: sp.BaseURL, User: sp.User},
			Connector: queuesJSON{
				SendQueue:                   queueJSON(sp.SendQueue),
				ReceiveQueue:                queueJSON(sp.ReceiveQueue),
				InitialInternalPollingDelay: sp.InitialPollingDelay,
				InternalPollingInterval:     sp.PollingInterval,
			},
		},
	}
}
