package web

// LoginFreeFailures exposes the login backoff's free failures to the
// external tests, so they follow the limit instead of repeating it.
const LoginFreeFailures = loginFreeFailures
