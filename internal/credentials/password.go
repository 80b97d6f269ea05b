package credentials

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// CheckPassword returns an error unless password is long enough to resist
// guessing. It is the one place the rule is checked.
func CheckPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength {
		return fmt.Errorf("the password has %d characters; use at least %d (for example: openssl rand -base64 18)", n, MinPasswordLength)
	}
	return nil
}

// ReadPasswordFile returns the first line of the file at path, without
// surrounding spaces, once the file is private (mode 0600) and the password
// long enough.
func ReadPasswordFile(path string) (string, error) {
	data, err := readPrivate(path)
	if err != nil {
		return "", fmt.Errorf("reading the password file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	password := strings.TrimSpace(line)
	if password == "" {
		return "", errors.New("the password file " + path + " is empty: put the password on its first line")
	}
	if err := CheckPassword(password); err != nil {
		return "", fmt.Errorf("the password file %s: %w", path, err)
	}
	return password, nil
}
