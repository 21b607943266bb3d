package casereport

import (
	"encoding/json"
	"time"
)

// DeliveryAttempt is one try at delivering a case notification.
type DeliveryAttempt struct {
	Attempt int `json:"attempt"`
	// Manual is true for attempts a staff member asked for (a re-send).
	Manual bool `json:"manual"`
	// Status is the receiver's HTTP status; nil when it did not answer.
	Status     *int      `json:"status"`
	Error      string    `json:"error"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int       `json:"duration_ms"`
}

// CaseNotification is an outbound notification to the court's case system
// with its delivery history.
type CaseNotification struct {
	ID          string            `json:"id"`
	Type        string            `json:"type"`
	CaseID      string            `json:"case_id"`
	AuctionID   *string           `json:"auction_id"`
	CreatedAt   time.Time         `json:"created_at"`
	DeliveredAt *time.Time        `json:"delivered_at"`
	Attempts    int               `json:"attempts"`
	LastStatus  *int              `json:"last_status"`
	LastError   string            `json:"last_error"`
	Body        json.RawMessage   `json:"body"`
	History     []DeliveryAttempt `json:"history"`
}
