"""The only write path. Each action persists, writes its audit event, and schedules its
side effects (realtime events, delivery) to run once the transaction commits."""
