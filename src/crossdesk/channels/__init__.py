"""Platform adapters behind one ChannelAdapter protocol."""
