"""LLM clients behind one small protocol: an OpenAI-compatible HTTP client and local llama.cpp.

Import the clients from their modules (`evidex.llm.openai_http`, `evidex.llm.llamacpp_local`) or build
the configured one with `evidex.llm.factory.load_chat_model(settings)`; only the protocol is imported
here, so `import evidex.llm` needs neither httpx nor llama-cpp-python.
"""

from evidex.llm.protocol import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    ChatResult,
    ChatStream,
    LLMBadResponse,
    LLMError,
    LLMUnavailable,
)

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "ChatStream",
    "LLMBadResponse",
    "LLMError",
    "LLMUnavailable",
]
