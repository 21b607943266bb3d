package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments"
	"gavel/web/request"
)

// DepositList is GET /api/v1/auctions/{id}/deposits.
func (h *Handler) DepositList(c echo.Context) error {
	deps, err := h.store.Deposits(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if deps == nil {
		deps = []auction.Deposit{}
	}
	return c.JSON(http.StatusOK, map[string]any{"deposits": deps})
}

// ReferenceRequest is the body of a finance confirmation: the bank or
// provider reference of the money movement.
type ReferenceRequest struct {
	Reference string `json:"reference"`
}

// markReference serves a finance confirmation: finance records, by its
// reference, a money movement on the deposit or payment the path names, and
// gets the record as it then stands. Every confirmation route binds and
// answers the same way, so it is written once.
func markReference[T any](c echo.Context, mark func(ctx context.Context, id, reference string) (T, error)) error {
	var req ReferenceRequest
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	v, err := mark(c.Request().Context(), c.Param("id"), req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// bindAmount binds a body that records an amount of money and requires the
// amount. It is a pointer in each such body so that a missing amount is
// told from an amount of 0, which the store judges.
func bindAmount(c echo.Context, req any, amount **int64) error {
	if err := request.Bind(c, req); err != nil {
		return err
	}
	if *amount == nil {
		return auction.FieldError("amount", "is required (fen)")
	}
	return nil
}

// DepositConfirm is POST /api/v1/deposits/{id}/confirm.
func (h *Handler) DepositConfirm(c echo.Context) error {
	return markReference(c, h.store.ConfirmDeposit)
}

// DepositReceipt is POST /api/v1/deposits/{id}/receipts: what finance saw
// arrive for a bank deposit. The whole deposit confirms it; less is a part
// payment, recorded as such (the deposit stays pending).
func (h *Handler) DepositReceipt(c echo.Context) error {
	var req struct {
		Amount       *int64 `json:"amount"`
		Reference    string `json:"reference"`
		PayerName    string `json:"payer_name"`
		PayerAccount string `json:"payer_account"`
	}
	if err := bindAmount(c, &req, &req.Amount); err != nil {
		return err
	}
	d, r, err := h.store.ReceiveDeposit(c.Request().Context(), request.User(c).ID, c.Param("id"), payments.DepositReceipt{
		Amount: *req.Amount, Reference: req.Reference, PayerName: req.PayerName, PayerAccount: req.PayerAccount})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"deposit": d, "receipt": r})
}

// DepositRefunded is POST /api/v1/deposits/{id}/refunded.
func (h *Handler) DepositRefunded(c echo.Context) error {
	return markReference(c, h.store.MarkRefunded)
}

// BalancePayment is POST /api/v1/auctions/{id}/balance-payments.
func (h *Handler) BalancePayment(c echo.Context) error {
	var req struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	if err := bindAmount(c, &req, &req.Amount); err != nil {
		return err
	}
	p, _, err := h.store.RecordBalancePayment(c.Request().Context(), request.User(c).ID, c.Param("id"), *req.Amount, req.Reference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

// ExcessRefunded is POST /api/v1/balance-payments/{id}/refunded:
// finance paid a balance payment's excess back to the buyer.
func (h *Handler) ExcessRefunded(c echo.Context) error {
	return markReference(c, h.store.MarkBalanceRefunded)
}

// CaseProceeds is GET /api/v1/cases/{id}/proceeds.
func (h *Handler) CaseProceeds(c echo.Context) error {
	p, err := h.store.CaseProceeds(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// RefundsPaid is POST /api/v1/refunds/paid {refunds:[{deposit_id,
// reference}]}: finance records a bank batch of refunds at once; all or
// none are booked.
func (h *Handler) RefundsPaid(c echo.Context) error {
	var req struct {
		Refunds []payments.RefundPaid `json:"refunds"`
	}
	if err := request.Bind(c, &req); err != nil {
		return err
	}
	ds, err := h.store.MarkRefundedBatch(c.Request().Context(), req.Refunds)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deposits": ds})
}
