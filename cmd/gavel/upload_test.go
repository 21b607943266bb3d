package main

import (
	"bytes"
	"gavel/auction"
	"mime/multipart"
	"net/http"
	"testing"
)

// upload posts data as a lot document in a multipart form.
func (s *server) upload(t *testing.T, who *account, lotID, name string, data []byte) apiResponse {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	f, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data)
	w.Close()
	return s.do(t, http.MethodPost, "/api/v1/lots/"+lotID+"/documents", who, body.Bytes(), apiHeader{"Content-Type", w.FormDataContentType()})
}

// A lot's photos and documents may exceed the API's 1 MiB body limit up to
// their own limit, and are served back byte for byte with their type.
func TestDocumentUploadLimits(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := s.auction(t, lotSpec{})
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 3<<20)...)

	r := s.upload(t, s.clerk, a.LotID, "appraisal.pdf", pdf)
	wantStatus(t, r, http.StatusCreated)
	var doc struct {
		URL         string `json:"url"`
		ContentType string `json:"content_type"`
	}
	r.decode(t, &doc)
	got := s.do(t, http.MethodGet, doc.URL, nil, nil)
	wantStatus(t, got, http.StatusOK)
	if !bytes.Equal(got.body, pdf) || got.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("served document: %d bytes, type %q", len(got.body), got.header.Get("Content-Type"))
	}

	tooBig := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), auction.MaxDocumentSize+128<<10)...)
	wantError(t, s.upload(t, s.clerk, a.LotID, "huge.pdf", tooBig), http.StatusRequestEntityTooLarge, "body_too_large")
	wantError(t, s.upload(t, s.clerk, a.LotID, "page.html", []byte("<html><script>alert(1)</script></html>")), http.StatusUnprocessableEntity, "invalid_field")
	wantError(t, s.upload(t, s.finance, a.LotID, "appraisal.pdf", pdf[:1024]), http.StatusForbidden, "forbidden")
	// Everything else keeps the 1 MiB limit.
	big := bytes.Repeat([]byte("x"), 1<<20+1)
	wantError(t, s.do(t, http.MethodPost, "/api/v1/cases", s.clerk, big), http.StatusRequestEntityTooLarge, "body_too_large")
}
