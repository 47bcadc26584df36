// Package digest is a report made ready to render (NewView): what is in
// scope, the summary rows with their changes and whether each is good
// news, the insights by severity and kind, where the money goes, and
// what the scan covered or could not, in the words and with the
// truncating formatters of the report. The Slack digest (package slack),
// the terminal one (package text) and the alerts' wording (package
// opsgenie) read it, so they all say the same thing.
//
// Every string from AWS is cleaned here (notify.Clean); escaping for a
// medium (mrkdwn, ANSI, HTML) is the renderer's. digest writes no output
// and sends nothing.
package digest
