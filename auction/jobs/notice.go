package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"gavel/auction"
	"gavel/auction/notice"
	"gavel/auction/notice/mail"
)

// QueueNotices is the queue of user notice deliveries (e-mail and SMS).
const QueueNotices = "notices"

// relayBatch is how many notices one relay transaction hands to jobs.
const relayBatch = 200

// NoticeDeliveryArgs delivers one user notice by e-mail and SMS.
type NoticeDeliveryArgs struct {
	NoticeID int64 `json:"notice_id"`
}

// Kind names the job.
func (NoticeDeliveryArgs) Kind() string { return "notice_delivery" }

// InsertOpts puts deliveries on their own queue, so a slow mail server
// never holds up money or case webhooks, and gives up after about three
// days of refusals (attempts at most 10 minutes apart): a notice that old
// is no longer news, and the in-app list still has it.
func (NoticeDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotices, MaxAttempts: noticeMaxAttempts}
}

// noticeMaxAttempts is about three days of retries at the longest backoff.
const noticeMaxAttempts = 3 * 24 * 6

// Delivering reports whether notices go out on any channel.
func (j *Jobs) Delivering() bool {
	return j.cfg.Notices != nil && (j.cfg.Mail != nil || j.cfg.SMS != nil)
}

// RelayNotices hands the notices whose delivery is due to delivery jobs:
// each batch is claimed and its jobs inserted in one transaction, so a
// notice gets exactly one job even when the process dies between the two
// or several instances relay at once. It returns how many it handed over.
// The tick calls it; without a mail server or SMS gateway it does nothing.
func (j *Jobs) RelayNotices(ctx context.Context) (int, error) {
	if !j.Delivering() {
		return 0, nil
	}
	total := 0
	for {
		var looked int
		err := pgx.BeginFunc(ctx, j.cfg.Pool, func(tx pgx.Tx) error {
			ids, n, err := j.cfg.Notices.ClaimDue(ctx, tx, relayBatch)
			if err != nil || len(ids) == 0 {
				looked = n
				return err
			}
			params := make([]river.InsertManyParams, len(ids))
			for i, id := range ids {
				params[i] = river.InsertManyParams{Args: NoticeDeliveryArgs{NoticeID: id}}
			}
			if _, err := j.client.InsertManyTx(ctx, tx, params); err != nil {
				return err
			}
			looked, total = n, total+len(ids)
			return nil
		})
		if err != nil || looked < relayBatch {
			return total, err
		}
	}
}

type noticeWorker struct {
	river.WorkerDefaults[NoticeDeliveryArgs]
	j *Jobs
}

// NextRetry: a mail server that refuses for now (4xx, or unreachable) is
// tried again soon, then less often, at most NoticeBackoff.Max apart.
func (w *noticeWorker) NextRetry(job *river.Job[NoticeDeliveryArgs]) time.Time {
	return time.Now().Add(w.j.cfg.NoticeBackoff.Delay(job.Attempt))
}

// Work sends the notice on every channel the user keeps on that has not
// sent this version yet, then ends the delivery. Each channel's send is
// recorded as soon as it is accepted, so a retry after a failure on another
// channel (or a refusal) does not send it again. The window that remains is
// a crash after the server accepted a message and before the record: the
// retry sends it again with the same Message-ID (at least once; see
// docs/notices.md).
func (w *noticeWorker) Work(ctx context.Context, job *river.Job[NoticeDeliveryArgs]) error {
	j, id := w.j, job.Args.NoticeID
	if j.cfg.Notices == nil {
		return river.JobCancel(errors.New("notices are not configured"))
	}
	d, err := j.cfg.Notices.Delivery(ctx, id)
	if err != nil {
		if auction.ErrorCode(err) == auction.ENotFound {
			return river.JobCancel(err)
		}
		return err
	}
	if !d.Queued {
		return nil
	}
	base := strings.TrimRight(j.cfg.PublicURL, "/")
	// The unsubscribe page takes the one-click POST of RFC 8058 and, opened
	// in a browser, asks first.
	unsubscribe := base + "/unsubscribe?" + url.Values{"key": {d.UnsubscribeKey}, "type": {d.Type}, "channel": {notice.ChannelEmail}}.Encode()
	txt := notice.Render(d.Notice, notice.Context{Title: d.Title, Language: d.Settings.Language, Zone: j.cfg.Zone,
		AuctionURL: base + "/auctions/" + d.AuctionID, SettingsURL: base + "/me#notices", UnsubscribeURL: unsubscribe})
	ref := fmt.Sprintf("notice-%s-%d", d.ID, d.Count)
	if j.cfg.Mail != nil && d.Email != "" && d.Settings.Enabled(notice.ChannelEmail, d.Type) && !d.Sent[notice.ChannelEmail] {
		err := j.cfg.Mail.Send(ctx, mail.Message{To: d.Email, Subject: txt.Subject, Body: txt.Body,
			ID: ref + "@" + j.cfg.Mail.Domain(), Language: d.Settings.Language, Date: j.cfg.Wall.Now(), Unsubscribe: unsubscribe})
		var refused *mail.PermanentError
		switch {
		case errors.As(err, &refused):
			// Retrying will not change it (an unknown mailbox): give up on
			// this channel, which the record says.
			j.log.Warn("the mail server refused a notice for good", "notice_id", d.ID, "kind", d.Type, "err", err)
		case err != nil:
			return err
		}
		if err := j.cfg.Notices.RecordSend(ctx, id, notice.ChannelEmail, d.Count); err != nil {
			return err
		}
	}
	if j.cfg.SMS != nil && d.Phone != "" && d.Settings.Enabled(notice.ChannelSMS, d.Type) && !d.Sent[notice.ChannelSMS] {
		line, _, _ := strings.Cut(txt.Body, "\n")
		if err := j.cfg.SMS.Send(ctx, d.Phone, line, ref); err != nil {
			return fmt.Errorf("sms gateway %s: %w", j.cfg.SMS.Name(), err)
		}
		if err := j.cfg.Notices.RecordSend(ctx, id, notice.ChannelSMS, d.Count); err != nil {
			return err
		}
	}
	return j.cfg.Notices.FinishDelivery(ctx, id, d.Count)
}
