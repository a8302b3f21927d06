"""Newsdesk: keyboard-driven triage of multilingual news."""

__version__ = "0.1.0"
APP_NAME = "Newsdesk"
