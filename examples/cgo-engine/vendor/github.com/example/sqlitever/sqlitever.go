// Package sqlitever calls into the C library, as Docker's vendored go-sqlite3 does.
package sqlitever

/*
#cgo LDFLAGS: -lsqlite3
#include <sqlite3.h>
*/
import "C"

// Version is the linked sqlite's version.
func Version() string {
	return C.GoString(C.sqlite3_libversion())
}
