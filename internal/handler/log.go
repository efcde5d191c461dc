package handler

import (
	"context"

	"github.com/rs/zerolog"
)

// Log is the logger of ctx.
func Log(ctx context.Context) *zerolog.Logger { return zerolog.Ctx(ctx) }
