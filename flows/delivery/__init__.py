"""Delivery of rendered reports: a stdlib ``EmailMessage`` sent by SMTP or written to the outbox."""

from flows.delivery.mail import Delivery, DeliveryError, build_report_message, deliver, report_subject

__all__ = ["Delivery", "DeliveryError", "build_report_message", "deliver", "report_subject"]
