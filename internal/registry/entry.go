package registry

import (
	"encoding/json"
	"reflect"
	"strings"
)

// knownFields are the JSON names Entry decodes itself: those of its fields'
// tags, so that a new field is never also kept in Extra, where a stale
// value would come back once the field is left empty.
var knownFields = func() []string {
	var names []string
	t := reflect.TypeFor[entryFields]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}()

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
