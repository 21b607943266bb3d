package casereport

import "context"

// Log is what the court's case system was told about its cases, with every
// delivery attempt.
type Log interface {
	// CaseNotifications lists a case's notifications, oldest first, each with
	// its delivery history. Returns not_found for an unknown case.
	CaseNotifications(ctx context.Context, caseID string) ([]CaseNotification, error)

	// CaseNotification returns one notification with its delivery history.
	// Returns not_found.
	CaseNotification(ctx context.Context, id string) (*CaseNotification, error)
}
