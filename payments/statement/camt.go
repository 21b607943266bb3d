package statement

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// camtEntry is the part of a camt.053 entry (Ntry) Gavel reads. The bank's
// reference is the entry's account servicer reference, else the
// transaction's, else its end-to-end id.
type camtEntry struct {
	Amt struct {
		Value string `xml:",chardata"`
		Ccy   string `xml:"Ccy,attr"`
	} `xml:"Amt"`
	CdtDbtInd string `xml:"CdtDbtInd"`
	// Sts is a code (camt.053.001.02) or holds one in Cd (later versions).
	Sts struct {
		Text string `xml:",chardata"`
		Cd   string `xml:"Cd"`
	} `xml:"Sts"`
	BookgDt     string `xml:"BookgDt>Dt"`
	BookgDtTm   string `xml:"BookgDt>DtTm"`
	AcctSvcrRef string `xml:"AcctSvcrRef"`
	Tx          []struct {
		AcctSvcrRef string   `xml:"Refs>AcctSvcrRef"`
		EndToEndID  string   `xml:"Refs>EndToEndId"`
		Ustrd       []string `xml:"RmtInf>Ustrd"`
		DbtrNm      string   `xml:"RltdPties>Dbtr>Nm"`
		DbtrPtyNm   string   `xml:"RltdPties>Dbtr>Pty>Nm"`
		DbtrAcct    string   `xml:"RltdPties>DbtrAcct>Id>Othr>Id"`
		DbtrIBAN    string   `xml:"RltdPties>DbtrAcct>Id>IBAN"`
		CdtrNm      string   `xml:"RltdPties>Cdtr>Nm"`
		CdtrPtyNm   string   `xml:"RltdPties>Cdtr>Pty>Nm"`
		CdtrAcct    string   `xml:"RltdPties>CdtrAcct>Id>Othr>Id"`
		CdtrIBAN    string   `xml:"RltdPties>CdtrAcct>Id>IBAN"`
	} `xml:"NtryDtls>TxDtls"`
}

// parseCamt reads the entries of every statement (Stmt) of a camt.053
// document. Only booked entries (status BOOK) in CNY are movements of the
// account; a pending or informational entry is skipped, another currency
// refused.
func parseCamt(b []byte) (*Statement, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	s := &Statement{Format: "camt.053"}
	sawDocument := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return nil, refuse(line, "not well-formed XML: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "BkToCstmrStmt":
			sawDocument = true
		case "Ntry":
			line, _ := d.InputPos()
			var e camtEntry
			if err := d.DecodeElement(&e, &se); err != nil {
				return nil, refuse(line, "unreadable entry: %v", err)
			}
			l, skip, err := e.line(line)
			if err != nil {
				return nil, err
			}
			if !skip {
				s.Lines = append(s.Lines, l)
			}
		}
	}
	if !sawDocument {
		return nil, refuse(1, "not a camt.053 bank-to-customer statement (no BkToCstmrStmt)")
	}
	return s, nil
}

func (e *camtEntry) line(no int) (Line, bool, error) {
	status := strings.TrimSpace(e.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(e.Sts.Text)
	}
	if status != "" && status != "BOOK" {
		return Line{}, true, nil
	}
	l := Line{No: no, Reference: e.AcctSvcrRef}
	switch strings.TrimSpace(e.CdtDbtInd) {
	case "CRDT":
		l.Direction = Credit
	case "DBIT":
		l.Direction = Debit
	default:
		return l, false, refuse(no, "CdtDbtInd is %q, not CRDT or DBIT", e.CdtDbtInd)
	}
	if ccy := strings.TrimSpace(e.Amt.Ccy); ccy != "CNY" {
		return l, false, refuse(no, "the amount is in %q; the court's account is in CNY", ccy)
	}
	var err error
	if l.Amount, err = ParseYuan(e.Amt.Value); err != nil {
		return l, false, refuse(no, "amount: %v", err)
	}
	date := e.BookgDt
	if date == "" {
		date = e.BookgDtTm
	}
	if l.BookedOn, err = parseDate(date); err != nil {
		return l, false, refuse(no, "booking date: %v", err)
	}
	if len(e.Tx) > 1 {
		return l, false, refuse(no, "a batched entry of %d transactions; ask the bank for one entry per transfer", len(e.Tx))
	}
	if len(e.Tx) == 1 {
		tx := e.Tx[0]
		if l.Reference == "" {
			l.Reference = tx.AcctSvcrRef
		}
		if l.Reference == "" {
			l.Reference = tx.EndToEndID
		}
		l.Remittance = strings.Join(tx.Ustrd, " ")
		// The other party: the payer of a credit, the payee of a debit.
		name, acct := first(tx.DbtrNm, tx.DbtrPtyNm), first(tx.DbtrAcct, tx.DbtrIBAN)
		if l.Direction == Debit {
			name, acct = first(tx.CdtrNm, tx.CdtrPtyNm), first(tx.CdtrAcct, tx.CdtrIBAN)
		}
		l.CounterpartyName, l.CounterpartyAccount = name, acct
	}
	return l, false, l.check()
}

func first(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
