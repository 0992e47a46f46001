package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"authd/api"
)

// openAPIPath is where the service publishes its own API description.
const openAPIPath = "/api/v1/openapi.yaml"

// openAPI serves the embedded OpenAPI 3.1 description (api/openapi.yaml), so
// clients and tools read the contract from the instance they talk to.
func openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml")
	return c.Send(api.OpenAPI)
}
