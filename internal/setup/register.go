package setup

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// orgLogin is GitHub's rule for account logins: letters, digits and single inner hyphens,
// at most 39 characters. Checked here so a typo fails on our page, not on a GitHub 404.
var orgLogin = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// setupPage is the form's content; it is re-rendered with the input and an error message.
type setupPage struct {
	Account     string // "personal" or "organization"
	Org         string
	AppName     string
	Error       string
	HookURL     string
	PublicURL   string
	Unreachable string // why GitHub cannot reach PublicURL, with the fix ("" when it may)
	WebURL      string
	Permissions []permission
	Events      []string
}

// redirectPage carries the manifest to GitHub: a browser can only POST a form, so this page
// holds one and submits it at once (with a button when scripts are off).
type redirectPage struct {
	Action   string
	Manifest string
	Target   string
}

func (h *handler) setupPage(account, org, appName, errMsg string) setupPage {
	if account == "" {
		account = "personal"
	}
	if appName == "" {
		appName = h.manifest.name()
	}
	return setupPage{
		Account: account, Org: org, AppName: appName, Error: errMsg,
		HookURL: h.manifest.hookURL(), PublicURL: h.publicURL, WebURL: h.webURL, Unreachable: unreachableWarning(h.publicURL),
		Permissions: h.manifest.permissions(), Events: h.manifest.events(),
	}
}

// index shows what foureyes is and the registration form, or the result once registered.
func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	if h.acceptToken(w, r) {
		return
	}
	if reg := h.registeredApp(); reg != nil {
		h.renderDone(w, http.StatusOK, reg)
		return
	}
	if !h.authorized(r) {
		h.refuse(w)
		return
	}
	render(w, http.StatusOK, "setup", "Set up foureyes", h.setupPage("", "", "", ""))
}

// register validates the form, remembers a new state and sends the browser to GitHub's
// "new app from manifest" page of the personal account or of the organisation.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		h.refuse(w)
		return
	}
	if h.registeredApp() != nil {
		h.renderError(w, http.StatusConflict, errorPage{
			Heading: "foureyes is already registered",
			Message: "This server already registered its GitHub App. Remove the credentials file and restart foureyes to register another one.",
		})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	account := r.PostFormValue("account")
	org := strings.TrimSpace(r.PostFormValue("org"))
	appName := strings.TrimSpace(r.PostFormValue("app_name"))
	fail := func(msg string) {
		render(w, http.StatusBadRequest, "setup", "Set up foureyes", h.setupPage(account, org, appName, msg))
	}
	switch account {
	case "personal":
		org = ""
	case "organization":
		if !orgLogin.MatchString(org) {
			fail("Enter the organisation's login as in its GitHub URL (letters, digits and hyphens), for example acme-corp.")
			return
		}
	default:
		fail("Choose a personal account or an organisation.")
		return
	}
	if appName == "" {
		appName = h.manifest.name()
	}
	if utf8.RuneCountInString(appName) > maxAppName {
		fail("The app name is too long: GitHub allows 34 characters.")
		return
	}
	if err := checkWritable(h.cfg.CredentialsFile); err != nil {
		h.cfg.Logger.Error().Err(err).Msg("setup: cannot save credentials, registration refused")
		h.renderError(w, http.StatusInternalServerError, errorPage{
			Heading:  "foureyes cannot save the app's credentials",
			Message:  "GitHub shows the app's private key only once, so registration is stopped before anything is created. Fix the problem and try again.",
			Detail:   err.Error(),
			StartURL: "/setup",
		})
		return
	}
	body, err := h.manifest.withName(appName)
	if err != nil {
		h.renderError(w, http.StatusInternalServerError, errorPage{Heading: "Could not prepare the manifest", Detail: err.Error(), StartURL: "/setup"})
		return
	}
	state, err := h.states.issue()
	if err != nil {
		h.renderError(w, http.StatusServiceUnavailable, errorPage{Heading: "Could not start the registration", Detail: err.Error(), StartURL: "/setup"})
		return
	}
	target := "your personal account"
	action := h.webURL + "/settings/apps/new"
	if org != "" {
		target = "the " + org + " organisation"
		action = h.webURL + "/organizations/" + url.PathEscape(org) + "/settings/apps/new"
	}
	action += "?state=" + url.QueryEscape(state)
	h.cfg.Logger.Info().Str("org", org).Str("app_name", appName).Msg("setup: registration started, browser sent to GitHub")
	render(w, http.StatusOK, "redirect", "Continue on GitHub", redirectPage{Action: action, Manifest: string(body), Target: target})
}

func (h *handler) renderError(w http.ResponseWriter, status int, p errorPage) {
	render(w, status, "error", p.Heading, p)
}
