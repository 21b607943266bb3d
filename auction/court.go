package auction

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Court actions a clerk takes on an auction after it is out (SPC 2016
// Arts. 29 and 31): stop it for a while, withdraw it, or set a completed
// sale aside. Each is kept in the auction's record with the court's reason.
const (
	ActionSuspend = "suspend"
	ActionResume  = "resume"
	ActionCancel  = "cancel"
	ActionAnnul   = "annul"
)

// MaxReasonLength bounds a court's reason, in characters: room for a ruling's
// summary, not for a whole document (that is published as a document).
const MaxReasonLength = 2000

// courtActionFrom lists the statuses each action applies to.
var courtActionFrom = map[string][]string{
	ActionSuspend: {StatusAnnounced, StatusBidding},
	ActionResume:  {StatusSuspended},
	ActionCancel:  {StatusDraft, StatusAnnounced, StatusBidding, StatusSuspended},
	ActionAnnul:   {StatusSold, StatusSettled, StatusDefaulted},
}

// courtActionTo is the status each action leaves the auction in (resume's
// depends on whether bidding had opened, see Store.ResumeAuction).
var courtActionTo = map[string]string{
	ActionSuspend: StatusSuspended,
	ActionCancel:  StatusCancelled,
	ActionAnnul:   StatusAnnulled,
}

// CourtActionAllowed returns invalid_state unless action applies to an
// auction in status.
func CourtActionAllowed(action, status string) error {
	from, ok := courtActionFrom[action]
	if !ok {
		return Errorf(EInvalidRequest, "unknown court action %q", action)
	}
	for _, s := range from {
		if s == status {
			return nil
		}
	}
	return Errorf(EInvalidState, "an auction that is %s cannot be %s (only one that is %s)", status, pastTense(action), strings.Join(from, ", "))
}

// CourtActionResult is the status an action leaves an auction in ("" for
// resume, which depends on the auction).
func CourtActionResult(action string) string { return courtActionTo[action] }

func pastTense(action string) string {
	switch action {
	case ActionSuspend:
		return "suspended"
	case ActionResume:
		return "resumed"
	case ActionCancel:
		return "cancelled"
	}
	return "annulled"
}

// CleanReason checks a court's reason and returns it trimmed: it is kept in
// the record and shown to the public, so it must be text (valid UTF-8
// without control characters other than line breaks and tabs), not blank
// and at most MaxReasonLength characters. Returns invalid_field naming
// field.
func CleanReason(field, reason string) (string, error) {
	if !utf8.ValidString(reason) {
		return "", FieldError(field, "must be valid UTF-8 text")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", FieldError(field, "is required: say why, it is kept in the record")
	case utf8.RuneCountInString(reason) > MaxReasonLength:
		return "", FieldError(field, "must be at most %d characters", MaxReasonLength)
	}
	for _, r := range reason {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return "", FieldError(field, "must not contain control characters")
		}
	}
	return reason, nil
}
