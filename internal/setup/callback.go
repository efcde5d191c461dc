package setup

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
)

// codePattern accepts GitHub's manifest codes and refuses anything that could change the API
// path it is put into (slashes, dots).
var codePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// callback is GitHub's redirect after the app was created: it checks the state, exchanges
// the code for the credentials, saves them, then calls onRegistered.
func (h *handler) callback(w http.ResponseWriter, r *http.Request) {
	h.callbackMu.Lock()
	defer h.callbackMu.Unlock()

	q := r.URL.Query()
	code, state := q.Get("code"), q.Get("state")
	if reg := h.registeredApp(); reg != nil {
		if state != "" && state == reg.state {
			h.renderDone(w, http.StatusOK, reg) // a reload of the successful callback
			return
		}
		h.renderError(w, http.StatusConflict, errorPage{
			Heading: "foureyes is already registered",
			Message: "This server already registered its GitHub App; this second app was not saved. Delete it in GitHub's settings if you created it by mistake.",
		})
		return
	}
	if err := h.states.begin(state); err != nil {
		h.cfg.Logger.Warn().Err(err).Msg("setup: callback with an invalid state")
		h.renderError(w, http.StatusBadRequest, stateErrorPage(err))
		return
	}
	consume := true
	defer func() { h.states.finish(state, consume) }()

	if !codePattern.MatchString(code) {
		h.renderError(w, http.StatusBadRequest, errorPage{
			Heading:  "GitHub did not send a registration code",
			Message:  "The app may not have been created. Start the registration again.",
			StartURL: "/setup",
		})
		return
	}
	creds, name, err := exchange(r.Context(), h.client, code)
	if err != nil {
		var ee *exchangeError
		retryable := errors.As(err, &ee) && ee.retryable
		consume = !retryable
		h.cfg.Logger.Error().Err(err).Bool("retryable", retryable).Msg("setup: manifest code exchange failed")
		h.renderError(w, exchangeStatus(ee), exchangeErrorPage(ee, code, state))
		return
	}
	log := h.cfg.Logger.With().Int64("app_id", creds.AppID).Str("slug", creds.Slug).Str("credentials_file", h.cfg.CredentialsFile).Logger()
	if err := saveCredentials(h.cfg.CredentialsFile, creds); err != nil {
		log.Error().Err(err).Msg("setup: app created on GitHub but its credentials could not be saved")
		h.renderError(w, http.StatusInternalServerError, errorPage{
			Heading: "The app was created, but its credentials could not be saved",
			Message: "GitHub shows the private key only once. Delete the app in its GitHub settings (" + creds.HTMLURL +
				"), fix the problem below, and register again.",
			Detail:   err.Error(),
			StartURL: "/setup",
		})
		return
	}
	log.Info().Msg("setup: GitHub App registered, credentials saved")
	WarnIfCommittable(h.cfg.Logger, h.cfg.CredentialsFile)
	reg := &registration{state: state, creds: creds, name: name}
	if err := h.onRegistered(creds); err != nil {
		log.Error().Err(err).Msg("setup: credentials saved but the server could not switch to normal mode")
		reg.switchErr = err.Error()
	}
	h.mu.Lock()
	h.registered = reg
	h.mu.Unlock()
	status := http.StatusOK
	if reg.switchErr != "" {
		status = http.StatusInternalServerError
	}
	h.renderDone(w, status, reg)
}

// stateErrorPage explains a refused state. All cases end the same way: start again.
func stateErrorPage(err error) errorPage {
	p := errorPage{Heading: "This setup link is not valid", StartURL: "/setup"}
	switch {
	case errors.Is(err, errStateExpired):
		p.Message = "The registration was started more than an hour ago; GitHub's manifest flow must finish within an hour. Start again."
	case errors.Is(err, errStateBusy):
		p.Message = "This registration is being completed in another tab. Wait for it, or start again."
	default:
		p.Message = "The link is wrong, was already used, or the registration was started on another foureyes server (or before a restart). Start again from this server's setup page."
	}
	return p
}

// exchangeStatus maps a failed exchange to our answer: 502 when GitHub failed, 400 when
// GitHub refused the code.
func exchangeStatus(e *exchangeError) int {
	if e == nil || e.retryable || e.status == 0 || e.status >= 500 {
		return http.StatusBadGateway
	}
	return http.StatusBadRequest
}

func exchangeErrorPage(e *exchangeError, code, state string) errorPage {
	p := errorPage{StartURL: "/setup"}
	if e != nil {
		p.Detail = e.Error()
	}
	switch {
	case e != nil && e.retryable:
		p.Heading = "GitHub could not be reached"
		if e.status != 0 {
			p.Heading = fmt.Sprintf("GitHub answered with an error (HTTP %d)", e.status)
		}
		p.Message = "The app was probably created, but foureyes could not fetch its credentials yet. Try again in a moment: the code stays valid for an hour."
		p.RetryURL = "/setup/callback?" + url.Values{"code": {code}, "state": {state}}.Encode()
	case e != nil && e.status == http.StatusNotFound:
		p.Heading = "The registration code has expired or was already used"
		p.Message = "GitHub accepts a code once, within an hour of creating the app. If the app was created, delete it in your GitHub settings, then start again."
	default:
		p.Heading = "GitHub refused the registration code"
		p.Message = "Start the registration again. If the app was created, delete it in your GitHub settings first."
	}
	return p
}
