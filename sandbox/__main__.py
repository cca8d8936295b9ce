"""`python -m sandbox [--port N]`: run the fake Bot API standalone for trying a bot by hand."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.server import DEFAULT_BOT_USERNAME, DEFAULT_TOKEN, BotApiSandbox


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="bot token to accept")
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:NAME",
        help="pre-create a user whose chat exists (repeatable), e.g. 1001:Alice",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    """Start the sandbox, print how to reach it, and run until cancelled."""
    sandbox = BotApiSandbox(
        args.token, bot_username=args.bot_username, host=args.host, port=args.port
    )
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        sandbox.add_user(int(user_id), name or f"User{user_id}")
    async with sandbox:
        print(f"Bot API sandbox listening on {sandbox.url}", flush=True)
        print(f"  token:         {sandbox.token}", flush=True)
        print(f"  base_url:      {sandbox.base_url}", flush=True)
        print(f"  base_file_url: {sandbox.base_file_url}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    print("sandbox stopped", flush=True)


if __name__ == "__main__":
    main()
