package main

import (
	"fmt"
	"os"

	"github.com/gofiber/fiber/v2"
)

// runHello serves the ceiling: Fiber's hello world, nothing else, on addr.
func runHello(addr string) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("Hello, World!") })
	if err := app.Listen(addr); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}
