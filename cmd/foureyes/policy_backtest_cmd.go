package main

import "github.com/spf13/cobra"

func newPolicyBacktestCmd() *cobra.Command { return &cobra.Command{Use: "backtest", Hidden: true} }
