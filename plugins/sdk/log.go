package sdk

import (
	"os"

	hclog "github.com/hashicorp/go-hclog"
)

// logger writes hclog JSON to the process's original stderr, which ward
// reads and forwards to its own log. It is created at package initialisation
// on purpose: go-plugin's Serve later points os.Stderr elsewhere.
var logger = hclog.New(&hclog.LoggerOptions{
	Level:      hclog.Trace,
	Output:     os.Stderr,
	JSONFormat: true,
})

// Logger returns the plugin's logger. Lines logged through it appear in
// ward's log, prefixed with the plugin's name, at their own level (ward
// decides which levels it shows). Anything else written to stdout or stderr
// after Serve starts is forwarded too, as plain lines at info level.
func Logger() hclog.Logger {
	return logger
}
