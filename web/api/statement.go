package api

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gavel/auction"
	"gavel/payments/statement"
	"gavel/web/request"
)

// StatementImport is POST /api/v1/bank-statements: finance uploads the
// court account's statement, camt.053 XML or CSV (docs/payments.md gives
// the column mapping), as the raw body (?filename= names it) or as the
// multipart field file. An invalid file is refused with 422 invalid_field
// naming the line and the reason, and nothing of it is imported.
func (h *Handler) StatementImport(c echo.Context) error {
	name := c.QueryParam("filename")
	var body io.Reader = c.Request().Body
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the statement is too large; split it")
			}
			return auction.FieldError("file", "a multipart file field named file is required")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		body, name = f, fh.Filename
	}
	b, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the statement is too large; split it")
		}
		return err
	}
	st, err := statement.Parse(b)
	if err != nil {
		return auction.FieldError("statement", "%v", err)
	}
	imp, err := h.store.ImportStatement(c.Request().Context(), request.User(c).ID, name, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, imp)
}

// StatementLines is GET /api/v1/bank-statements/lines?import_id=: the
// lines of one import, or without it every line finance still has to
// resolve (partial and unmatched).
func (h *Handler) StatementLines(c echo.Context) error {
	ls, err := h.store.StatementLines(c.Request().Context(), c.QueryParam("import_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"lines": ls})
}
