"""LINE Messaging API adapter (reply and push, push deduplicated by X-Line-Retry-Key)."""
