package i18n

import (
	"strings"
	"testing"
)

// TestCatalogueLanguages: every message exists in both languages and both
// take the same arguments.
func TestCatalogueLanguages(t *testing.T) {
	t.Parallel()
	for k, m := range catalogue {
		if strings.TrimSpace(m.zh) == "" || strings.TrimSpace(m.en) == "" {
			t.Errorf("message %q lacks a language: %+v", k, m)
		}
		if strings.Count(m.zh, "%") != strings.Count(m.en, "%") {
			t.Errorf("message %q: the languages take different arguments: %q / %q", k, m.zh, m.en)
		}
	}
}
