package application

import (
	"errors"

	"authd/domain"
)

// validateAll runs every check and reports all offending fields in one
// validation error, so a client can fix a form in one round trip.
func validateAll(errs ...error) error {
	var fields []domain.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var de *domain.Error
		if !errors.As(err, &de) || !errors.Is(err, domain.ErrValidation) {
			return err
		}
		fields = append(fields, de.Fields...)
	}
	return domain.Validation(fields...)
}
