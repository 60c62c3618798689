"""Reading answers: what kind of answer a question wants, and the normalised answer a reply gives."""

from .questions import AnswerType, Question, parse_question
from .reader import answer_instruction, display_answer, extract_answer

__all__ = ["AnswerType", "Question", "answer_instruction", "display_answer", "extract_answer", "parse_question"]
