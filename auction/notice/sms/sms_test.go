package sms_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"gavel/auction/notice/sms"
)

func TestLogMasksTheNumber(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := sms.Log{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := p.Send(context.Background(), "13812345642", "您的出价已被超越", "notice-1-1"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "13812345642") || strings.Contains(out, "12345") || !strings.Contains(out, "138******42") {
		t.Fatalf("log line: %s", out)
	}
	for in, want := range map[string]string{"": "", "123": "***", "12345": "*****", "+8613812345642": "+86*********42", "１３８１２３４５６": "１３８****５６"} {
		if got := sms.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
