"""WhatsApp app accounts linked by QR code through a WAHA (WhatsApp HTTP API) bridge."""
