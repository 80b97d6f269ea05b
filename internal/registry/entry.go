package registry

import "encoding/json"

// knownFields are the JSON names Entry decodes itself.
var knownFields = []string{"id", "name", "directory", "port", "opencodePort", "hostname",
	"opencodePid", "webPid", "startedAt", "instanceType", "containerId", "opencodePassword", "portalOwner", "logFile",
	"portalState", "portalLastExit", "portalRestarts"}

// entryFields is Entry without its methods, for plain encoding.
type entryFields Entry

// UnmarshalJSON decodes the known fields and keeps the others in Extra.
func (e *Entry) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, (*entryFields)(e)); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	for _, k := range knownFields {
		delete(all, k)
	}
	e.Extra = nil
	if len(all) > 0 {
		e.Extra = all
	}
	return nil
}

// MarshalJSON encodes the known fields followed by the kept unknown ones.
func (e Entry) MarshalJSON() ([]byte, error) {
	known, err := json.Marshal(entryFields(e))
	if err != nil || len(e.Extra) == 0 {
		return known, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(known, &all); err != nil {
		return nil, err
	}
	for k, v := range e.Extra {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return json.Marshal(all)
}
