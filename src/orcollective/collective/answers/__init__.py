"""Reading answers: what kind of answer a question wants, and the normalised answer a reply gives."""

from .questions import AnswerType, Question, parse_question
from .reader import Reading, answer_instruction, display_answer, extract_answer, read_answer

__all__ = [
    "AnswerType", "Question", "Reading", "answer_instruction", "display_answer", "extract_answer", "parse_question",
    "read_answer",
]  # fmt: skip
