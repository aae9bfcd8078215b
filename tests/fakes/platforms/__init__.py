"""Protocol-faithful fake platform servers (Graph API, Telegram Bot API, LINE Messaging API).

Each is a FastAPI app served by uvicorn on 127.0.0.1 (see ``server.RunningServer``), checks
credentials, validates request bodies, answers with the platforms' documented success and
error bodies, and records every request it received.
"""
