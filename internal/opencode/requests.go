package opencode

import (
	"context"
	"net/http"
	"net/url"
)

// PermissionsService answers the permission requests of agents.
type PermissionsService service

// List decodes the permission requests waiting for a reply into out.
func (s *PermissionsService) List(ctx context.Context, out any) error {
	return s.client.Call(ctx, http.MethodGet, "/permission", nil, nil, out)
}

// Reply answers the permission request id with body ({reply, message?}).
func (s *PermissionsService) Reply(ctx context.Context, id string, body any) error {
	return s.client.Call(ctx, http.MethodPost, "/permission/"+url.PathEscape(id)+"/reply", nil, body, nil)
}

// QuestionsService answers the questions agents ask.
type QuestionsService service

// List decodes the questions waiting for an answer into out.
func (s *QuestionsService) List(ctx context.Context, out any) error {
	return s.client.Call(ctx, http.MethodGet, "/question", nil, nil, out)
}

// Reply answers the question request id with body ({answers}).
func (s *QuestionsService) Reply(ctx context.Context, id string, body any) error {
	return s.client.Call(ctx, http.MethodPost, "/question/"+url.PathEscape(id)+"/reply", nil, body, nil)
}

// Reject dismisses the question request id.
func (s *QuestionsService) Reject(ctx context.Context, id string) error {
	return s.client.Call(ctx, http.MethodPost, "/question/"+url.PathEscape(id)+"/reject", nil, nil, nil)
}
