package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"gavel/auction"
)

// Finance uploads a statement: an invalid one is refused with its line and
// reason and imports nothing; a CSV body and a multipart camt.053 file are
// imported, the second time adding nothing.
func TestStatementUpload(t *testing.T) {
	t.Parallel()
	e := newMoneyEnv(t, false)
	a := e.AnnouncedCar("车辆")
	e.user(t, "payer", auction.RoleBidder)
	reg := e.Register(e.users["payer"], a.ID)
	post := func(body, contentType string) moneyResponse {
		t.Helper()
		return e.do(t, "POST", "/api/v1/bank-statements?filename=s.csv", auction.RoleFinance, body, "Content-Type", contentType)
	}
	bad, err := os.ReadFile("../../payments/statement/testdata/invalid_amount.csv")
	if err != nil {
		t.Fatal(err)
	}
	if r := post(string(bad), "text/csv"); r.status != 422 || r.code() != auction.EInvalidField || !strings.Contains(string(r.body), "line 3") {
		t.Fatalf("invalid statement: %d %s", r.status, r.body)
	}
	if r := e.do(t, "GET", "/api/v1/bank-statements/lines", auction.RoleFinance, ""); !strings.Contains(string(r.body), `"lines":[]`) {
		t.Fatalf("a refused file left lines: %s", r.body)
	}
	if r := e.do(t, "POST", "/api/v1/bank-statements", auction.RoleAuditor, "date,reference,amount\n2026-06-01,A,1\n", "Content-Type", "text/csv"); r.status != 403 {
		t.Fatalf("auditor upload: %d", r.status)
	}

	csv := "date,reference,amount,remittance\n2026-06-01,UP-1,7000.00," + reg.Deposit.PayReference + "\n2026-06-01,UP-2,5.00,?\n"
	r := post(csv, "text/csv")
	if r.status != 201 || r.json(t)["confirmed"] != float64(1) || r.json(t)["unmatched"] != float64(1) {
		t.Fatalf("CSV upload: %d %s", r.status, r.body)
	}
	if d, _ := e.Store.Deposit(e.Ctx, reg.Deposit.ID); d.Status != auction.DepositHeld {
		t.Fatalf("deposit %s after the statement", d.Status)
	}
	camt, err := os.ReadFile("../../payments/statement/testdata/camt053.xml")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "camt053.xml")
		_, _ = fw.Write(camt)
		_ = mw.Close()
		r := e.do(t, "POST", "/api/v1/bank-statements", auction.RoleFinance, buf.String(), "Content-Type", mw.FormDataContentType())
		m := r.json(t)
		if r.status != http.StatusCreated || m["format"] != "camt.053" || m["filename"] != "camt053.xml" {
			t.Fatalf("camt upload %d: %d %s", round, r.status, r.body)
		}
		if round == 1 && (m["repeated"] != float64(4) || len(m["new"].([]any)) != 0) {
			t.Fatalf("second camt upload: %s", r.body)
		}
	}
	lines := e.do(t, "GET", "/api/v1/bank-statements/lines", auction.RoleAuditor, "").json(t)["lines"].([]any)
	if len(lines) != 5 {
		t.Fatalf("%d lines to resolve, want 5 (one CSV, four camt)", len(lines))
	}
}
