package collectoryaml

import "gopkg.in/yaml.v3"

// Parsed is what the tests read back of a collector configuration (an example, a package's
// default): its components by name, and the service's extensions and pipelines.
type Parsed struct {
	Receivers  map[string]map[string]any `yaml:"receivers"`
	Processors map[string]any            `yaml:"processors"`
	Exporters  map[string]map[string]any `yaml:"exporters"`
	Extensions map[string]map[string]any `yaml:"extensions"`
	Service    struct {
		Extensions []string            `yaml:"extensions"`
		Pipelines  map[string]Pipeline `yaml:"pipelines"`
	} `yaml:"service"`
}

// Pipeline is one of the service's pipelines.
type Pipeline struct {
	Receivers  []string `yaml:"receivers"`
	Processors []string `yaml:"processors"`
	Exporters  []string `yaml:"exporters"`
}

// Parse reads a collector configuration.
func Parse(data []byte) (Parsed, error) {
	var p Parsed
	err := yaml.Unmarshal(data, &p)
	return p, err
}
