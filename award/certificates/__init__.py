"""Certificates and feedback reports as PDF."""
