package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/server"
	"github.com/foureyes/foureyes/internal/store"
)

func init() { subcommands = append(subcommands, newServeCmd) }

func newServeCmd() *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App server (starts in setup mode until the app is registered)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configFile, os.Environ())
			if err != nil {
				return exitCode(1, err)
			}
			return serve(cmd.Context(), cfg)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "YAML configuration file (every key can also be set as FOUREYES_<SECTION>_<KEY>)")
	return cmd
}

func serve(ctx context.Context, cfg config.Config) error {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		return exitCode(1, fmt.Errorf("log_level: %w", err))
	}
	logger := zerolog.New(os.Stderr).Level(level).With().Timestamp().Logger()
	zerolog.DefaultContextLogger = &logger
	if len(cfg.UnknownEnv) > 0 {
		logger.Warn().Strs("variables", cfg.UnknownEnv).Msg("these FOUREYES_* environment variables name no configuration key and are ignored")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	st, err := store.OpenDriver(ctx, cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return exitCode(1, fmt.Errorf("open store: %w", err))
	}
	defer st.Close()
	srv, err := server.New(cfg, st, logger)
	if err != nil {
		return exitCode(1, err)
	}
	if err := srv.Start(ctx); err != nil {
		return exitCode(1, err)
	}
	<-ctx.Done()
	logger.Info().Msg("shutting down: finishing in-flight work")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
