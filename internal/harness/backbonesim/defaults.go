package backbonesim

import "time"

// defaultProjects exist in the default Jira without any integration, so that a
// projectKey filter can be answered with an empty list.
var defaultProjects = []string{"DEMO"}

// defaultInstallation is the Jira the simulator starts with: the vendor's two examples
// (INT-16 centralized, INT-15 distributed) and the centralized integration of the
// vendor's status example (INT-17). Start times sit a few seconds before epoch, which
// with the default epoch gives exactly the vendor's values.
func defaultInstallation(epoch time.Time) []IntegrationSpec {
	ago := func(ms int64) time.Time { return epoch.Add(-time.Duration(ms) * time.Millisecond) }
	return []IntegrationSpec{
		{
			Key:              "INT-16",
			Summary:          "Agile Project <> Project B",
			Description:      "This integration synchronizes issues between project Agile Project (AP) and project Project B (PB)",
			CreatedUser:      "admin",
			LastModifiedUser: "admin",
			CreatedDate:      "2016-11-10T11:07:10+0100",
			LastModifiedDate: "2016-11-10T11:07:10+0100",
			Connectors: []ConnectorSpec{
				{
					Key: "AP-29", ProjectKey: "AP",
					CreatedUser: "admin", LastModifiedUser: "admin",
					CreatedDate: "2016-11-10T11:07:10+0100", LastModifiedDate: "2016-11-10T11:07:10+0100",
					BaseURL: "http://localhost:8080", User: "backbone",
					StartTime: ago(8900),
				},
				{
					Key: "PB-30", ProjectKey: "PB",
					CreatedUser: "admin", LastModifiedUser: "admin",
					CreatedDate: "2016-11-10T11:07:10+0100", LastModifiedDate: "2016-11-10T11:07:10+0100",
					BaseURL: "http://localhost:8081/jira2", User: "backbone",
					StartTime: ago(8840),
				},
			},
		},
		{
			Key:                "INT-15",
			Summary:            "Some project",
			Description:        "This is the integration between Some project and the integration partner.",
			CreatedUser:        "admin",
			LastModifiedUser:   "backbone",
			CreatedDate:        "2016-10-10T16:36:31+0200",
			LastModifiedDate:   "2016-10-10T16:44:06+0200",
			Distributed:        true,
			Master:             true,
			PartnerProjectType: "business",
			Connectors: []ConnectorSpec{
				{
					Key: "SP-28", ProjectKey: "SP",
					CreatedUser: "admin", LastModifiedUser: "backbone",
					CreatedDate: "2016-10-10T16:44:06+0200", LastModifiedDate: "2017-01-10T16:48:31+0100",
					BaseURL: "http://localhost:8080", User: "backbone",
					StartTime: ago(8776),
				},
			},
		},
		{
			Key:              "INT-17",
			Summary:          "Service Desk <> Agile Project",
			Description:      "This integration synchronizes issues between project Service Desk (SSD) and project Agile Project (AP)",
			CreatedUser:      "admin",
			LastModifiedUser: "admin",
			CreatedDate:      "2017-01-10T16:47:02+0100",
			LastModifiedDate: "2017-01-10T16:47:02+0100",
			Connectors: []ConnectorSpec{
				{
					Key: "SSD-38", ProjectKey: "SSD",
					BaseURL: "http://localhost:8080", User: "backbone",
					CreatedDate: "2017-01-10T16:47:02+0100",
					StartTime:   ago(8600),
				},
				{
					Key: "AP-39", ProjectKey: "AP",
					BaseURL: "http://localhost:8080", User: "backbone",
					CreatedDate: "2017-01-10T16:47:02+0100",
					StartTime:   ago(8470),
				},
			},
		},
	}
}
