package httpapi_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/opencode-portal/portal/httpapi"
)

// documentURL is where compiledSchemas keeps the OpenAPI document, for the
// schemas' references into it.
const documentURL = "file:///openapi.json"

// compiledSchemas checks JSON values against the document's schemas with
// the JSON Schema 2020-12 validator that kin-openapi uses for a 3.1
// document (santhosh-tekuri/jsonschema), compiling each schema once:
// kin-openapi compiles a schema again for every value it checks, which was
// most of the contract's cost.
type compiledSchemas struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[*openapi3.SchemaRef]*jsonschema.Schema
}

func newCompiledSchemas() (*compiledSchemas, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(httpapi.OpenAPIDocument))
	if err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // as kin-openapi does for the formats a schema names
	if err := c.AddResource(documentURL, doc); err != nil {
		return nil, fmt.Errorf("adding the OpenAPI document: %w", err)
	}
	return &compiledSchemas{compiler: c, compiled: map[*openapi3.SchemaRef]*jsonschema.Schema{}}, nil
}

// decodeJSON decodes data as the validator reads JSON (numbers kept
// exact), for validate.
func decodeJSON(data []byte) (any, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return v, nil
}

// validate checks v, from decodeJSON, against the schema of ref.
func (s *compiledSchemas) validate(ref *openapi3.SchemaRef, v any) error {
	schema, err := s.compile(ref)
	if err != nil {
		return err
	}
	return schema.Validate(v)
}

// compile returns ref's schema compiled: a reference as the document's
// schema it names, an inline schema as kin-openapi writes it, its
// references made to point into the document.
func (s *compiledSchemas) compile(ref *openapi3.SchemaRef) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if schema := s.compiled[ref]; schema != nil {
		return schema, nil
	}
	schema, err := s.compileNew(ref)
	if err != nil {
		return nil, fmt.Errorf("compiling the document's schema %s: %w", cmp.Or(ref.Ref, "(inline)"), err)
	}
	s.compiled[ref] = schema
	return schema, nil
}

// compileNew compiles ref's schema as a resource of its own; s.mu is held.
func (s *compiledSchemas) compileNew(ref *openapi3.SchemaRef) (*jsonschema.Schema, error) {
	src := []byte(fmt.Sprintf(`{"$ref": %q}`, documentURL+ref.Ref))
	if ref.Ref == "" {
		var err error
		if src, err = json.Marshal(ref.Value); err != nil {
			return nil, err
		}
		src = bytes.ReplaceAll(src, []byte(`"$ref":"#/`), []byte(`"$ref":"`+documentURL+`#/`))
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("file:///schema-%d.json", len(s.compiled))
	if err := s.compiler.AddResource(url, doc); err != nil {
		return nil, err
	}
	return s.compiler.Compile(url)
}
