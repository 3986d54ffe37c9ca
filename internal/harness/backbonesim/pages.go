package backbonesim

import (
	"fmt"
	"html"
	"net/http"
)

const (
	contentTypeJSON = "application/json;charset=UTF-8"
	contentTypeHTML = "text/html;charset=UTF-8"
)

func writeHTML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", contentTypeHTML)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// errorPage is Jira's HTML error page, as its servlets send it for 401, 403 and 404.
func errorPage(status int, reason string) string {
	detail := ""
	if reason != "" {
		detail = "<p>Basic Authentication Failure - Reason : " + html.EscapeString(reason) + "</p>"
	}
	text := fmt.Sprintf("%d - %s", status, http.StatusText(status))
	return `<!DOCTYPE html><html><head><title>` + text + `</title></head><body>` +
		`<h1>Encountered a &quot;` + text + `&quot; error while loading this page.</h1>` +
		detail + `<a href="/secure/MyJiraHome.jspa">Go to Jira home</a></body></html>`
}

// loginPage is what Jira sends instead of data when it wants a browser login.
func loginPage(base string) string {
	return `<!DOCTYPE html><html><head><title>Log in - Jira</title></head><body>` +
		`<form id="login-form" method="post" action="` + html.EscapeString(base) + `/login.jsp">` +
		`<input name="os_username" type="text"><input name="os_password" type="password">` +
		`<input name="login" type="submit" value="Log In"></form></body></html>`
}

// badGatewayPage is nginx's, the usual proxy in front of Jira.
const badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
