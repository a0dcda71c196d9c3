"""A node's entity is the one its code names; a new node's, the one its contract names."""

from __future__ import annotations

from pathlib import Path

from nodeforge.generation.contract import parse_contract
from nodeforge.learning.nodes import discover
from nodeforge.learning.vocabulary import (
    VocabularyNames,
    choose_entity,
    contract_names,
    node_names,
    phrases_of_code,
)
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames
from tests.fixtures.repo_factory import NODES_DIR
from tests.fixtures.store_effect_repo import build_store_effect_repo, store_contract

CODE = '''
class InvoiceError(Exception):
    """An invoice could not be stored."""


def fail(key: str) -> None:
    raise InvoiceError(f"invoice {key} failed")


EVENT = "invoice.create.failed"
'''


def test_code_words_come_from_identifiers_strings_docstrings_and_fstrings() -> None:
    phrases = phrases_of_code(CODE + "# a comment about widgets\n")
    assert ("invoice", "error") in phrases  # identifier
    assert ("invoice", "create", "failed") in phrases  # string literal
    assert ("stored",) in phrases  # docstring
    assert phrases.count(("invoice",)) >= 2  # the f-string's text and the docstring
    assert ("widgets",) not in phrases  # comments are not vocabulary


def test_folder_role_word_the_code_never_uses_is_not_part_of_the_entity() -> None:
    assert choose_entity(("invoice", "store"), phrases_of_code(CODE)) == ("invoice",)


def test_folder_words_the_code_uses_together_stay_the_entity() -> None:
    code = "class UserProfileError(Exception): ...\nuser_profile = 'user-profile'\nuser_id = 1\n"
    assert choose_entity(("user", "profile"), phrases_of_code(code)) == ("user", "profile")


def test_a_role_word_the_code_does_use_stays() -> None:
    code = "class InvoiceStoreError(Exception): ...\nINVOICE_STORE = 'invoice_store'\ninvoice = 1\n"
    assert choose_entity(("invoice", "store"), phrases_of_code(code)) == ("invoice", "store")


def test_code_without_evidence_keeps_the_folder_entity() -> None:
    assert choose_entity(("ledger", "projection"), phrases_of_code("x = 1\n")) == ("ledger", "projection")


def test_store_effect_nodes_get_their_short_entity_and_keep_their_folder(tmp_path: Path) -> None:
    build_store_effect_repo(tmp_path)
    nodes = {n.name: n for n in discover(tmp_path, [tmp_path / NODES_DIR])}
    names = node_names(nodes["node_invoice_store_effect"])
    assert isinstance(names, VocabularyNames)
    assert names.words == ("invoice",)
    assert names.dropped == ("store",)
    assert names.pascal == "Invoice"
    assert names.node_dir == "node_invoice_store_effect"
    assert names.node_class == "NodeInvoiceStoreEffect"
    assert names.handler_class("create") == "HandlerInvoiceCreate"


def test_new_contract_names_its_entity_through_its_handlers_and_models(tmp_path: Path) -> None:
    contract = parse_contract(store_contract("refund"), source=tmp_path / "contract.yaml")
    names = contract_names(contract)
    assert names.words == ("refund",)
    assert names.node_dir == "node_refund_store_effect"
    assert names.input_model == "ModelRefundInput"


def test_contract_with_only_a_name_keeps_its_words(tmp_path: Path) -> None:
    text = "name: node_refund_store_effect\nnode_type: EFFECT_GENERIC\n"
    contract = parse_contract(text, source=tmp_path / "contract.yaml")
    assert contract_names(contract) == NodeNames(("refund", "store"), NodeType.EFFECT)


def test_a_folder_named_by_a_phrase_keeps_all_its_words() -> None:
    code = "extraction = 1\nextraction_result = 2\nDecisionExtraction = 3\nadr = 4\n"
    folder = ("adr", "decision", "extraction", "llm")
    assert choose_entity(folder, phrases_of_code(code)) == folder
