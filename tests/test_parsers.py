import json

import pytest

from knowledge.parsers import IngestError, parse_document, safe_name

LIMIT = 1_000_000


def test_faq_csv_english_headers():
    doc = parse_document("faq.csv", b"question,answer\nDo you ship abroad?,Only within mainland China.\n", max_bytes=LIMIT)
    assert doc.kind == "faq"
    [chunk] = doc.chunks
    assert chunk.answer == "Only within mainland China."
    assert chunk.embed_text == "Do you ship abroad?"
    assert chunk.lang == "en"


def test_faq_csv_chinese_headers_in_gbk():
    raw = "问题,答案\n几天发货？,付款后48小时内发货。\n".encode("gbk")
    doc = parse_document("常见问题.csv", raw, max_bytes=LIMIT)
    assert doc.chunks[0].answer == "付款后48小时内发货。"
    assert doc.chunks[0].lang == "zh"


def test_csv_without_columns_is_rejected_with_the_columns_found():
    with pytest.raises(IngestError) as err:
        parse_document("x.csv", b"foo,bar\n1,2\n", max_bytes=LIMIT)
    assert err.value.name == "x.csv"
    assert "foo, bar" in err.value.reason


def test_markdown_splits_on_headings_and_keeps_the_heading_path():
    text = "# Policy\n\nIntro line.\n\n## Returns\n\nSeven days.\n\nTags on.\n\n## Shipping\n\nFree over 99.\n"
    doc = parse_document("policy.md", text.encode(), max_bytes=LIMIT)
    titles = [c.title for c in doc.chunks]
    assert titles == ["Policy", "Policy > Returns", "Policy > Shipping"]
    assert "Seven days." in doc.chunks[1].text and "Tags on." in doc.chunks[1].text


def test_long_paragraphs_are_packed_under_the_chunk_limit():
    text = ("这是一句很长的政策说明。" * 200).encode()
    doc = parse_document("long.txt", text, max_bytes=LIMIT)
    assert len(doc.chunks) > 1
    assert all(len(c.text) <= 600 for c in doc.chunks)


def test_catalog_json_gives_one_chunk_per_language():
    products = [{"sku": "A1", "title": "云雾冲锋衣", "title_en": "Cloudmist Jacket", "price": 599, "stock": 3, "sizes": ["M", "L"]}]
    doc = parse_document("catalog.json", json.dumps(products, ensure_ascii=False).encode(), max_bytes=LIMIT)
    assert doc.kind == "catalog"
    assert [c.lang for c in doc.chunks] == ["zh", "en"]
    assert "¥599" in doc.chunks[0].text and "Cloudmist Jacket" in doc.chunks[1].text
    assert doc.chunks[0].data["sizes"] == ["M", "L"]


def test_catalog_csv_splits_list_fields_and_casts_numbers():
    raw = b"sku,title,price,stock,sizes\nB2,Trail Tee,\"1,099\",7,S|M|L\n"
    doc = parse_document("catalog.csv", raw, max_bytes=LIMIT)
    data = doc.chunks[0].data
    assert data["price"] == 1099.0 and data["stock"] == 7 and data["sizes"] == ["S", "M", "L"]


def test_catalog_with_a_bad_price_names_the_product():
    with pytest.raises(IngestError, match="B2.*price"):
        parse_document("c.csv", b"sku,title,price,stock\nB2,Tee,cheap,1\n", max_bytes=LIMIT)


def test_pdf_text_is_extracted():
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, "Warranty: down jackets are covered for one year.")
    doc = parse_document("warranty.pdf", bytes(pdf.output()), max_bytes=LIMIT)
    assert doc.kind == "pdf"
    assert "one year" in doc.chunks[0].text


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("notes.docx", b"hello", "unsupported file type"),
        ("empty.csv", b"", "empty"),
        ("blank.md", b"   \n\n", "no text"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("bad.json", b"{not json", "malformed JSON"),
        ("list.json", b'{"a": 1}', "list of product objects"),
        ("binary.csv", b"\x00\x01\x02question,answer", "binary"),
        ("big.txt", b"x" * 2_000, "over the limit"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(name, raw, reason):
    with pytest.raises(IngestError) as err:
        parse_document(name, raw, max_bytes=1_000)
    assert reason in err.value.reason
    assert err.value.name == name


def test_path_traversal_is_reduced_to_the_file_name():
    assert safe_name("../../etc/passwd.csv") == "passwd.csv"
    assert safe_name("C:\\Users\\x\\faq.csv") == "faq.csv"
    with pytest.raises(IngestError):
        safe_name("../")


def test_unquoted_commas_in_the_last_column_stay_in_the_answer():
    doc = parse_document("faq.csv", b"question,answer\nGift wrap?,Yes, it is free, always.\n", max_bytes=LIMIT)
    assert doc.chunks[0].answer == "Yes, it is free, always."


def test_catalog_facts_are_read_from_nested_specs_property_strings_variants_and_extra_columns():
    catalog = [{
        "sku": "N1", "title": "每日坚果礼盒", "price": "99", "stock": 5, "aliases": ["坚果盒"],
        "specs": {"净含量": "750g", "包装": {"尺寸": "38×28×10cm"}},
        "attributes": [{"name": "保质期", "value": "180天"}],
        "props": "品牌:山禾;产地:新疆",
        "skus": [{"spec": "1kg装", "price": 129, "stock": 0}],
    }]
    chunk = parse_document("catalog.json", json.dumps(catalog, ensure_ascii=False).encode(), max_bytes=10**6).chunks[0]
    assert chunk.data["facts"] == {"净含量": "750g", "尺寸": "38×28×10cm", "包装": "尺寸：38×28×10cm", "保质期": "180天", "品牌": "山禾",
                                   "产地": "新疆"}
    assert chunk.data["variants"] == [{"name": "1kg装", "sku": None, "price": 129.0, "stock": 0}]
    assert "保质期: 180天" in chunk.text and "坚果盒" in chunk.text

    csv_catalog = "货号,商品名称,价格,库存,重量,适用年龄\nB1,猫爬架,199,3,12kg,全年龄\n"
    row = parse_document("catalog.csv", csv_catalog.encode(), max_bytes=10**6).chunks[0]
    assert row.data["sku"] == "B1" and row.data["price"] == 199.0 and row.data["facts"] == {"重量": "12kg", "适用年龄": "全年龄"}


def test_a_column_named_like_a_container_with_a_plain_value_is_a_fact_not_lost():
    # "规格" is also the name merchants give a block of specs; a column of plain sizes is no block.
    csv_catalog = "sku,title,price,stock,规格,适用鞋款\nS1,雪松木鞋撑,89,35,S(36-39)/M(40-42)/L(43-45),皮鞋\n"
    row = parse_document("catalog.csv", csv_catalog.encode(), max_bytes=10**6).chunks[0]
    assert row.data["facts"] == {"规格": "S(36-39)/M(40-42)/L(43-45)", "适用鞋款": "皮鞋"}
    listed = [{"sku": "S2", "title": "鞋撑", "参数": ["S", "M", "L"]}, {"sku": "S3", "title": "鞋垫", "规格": "材质:乳胶;厚度:5mm"}]
    chunks = parse_document("catalog.json", json.dumps(listed, ensure_ascii=False).encode(), max_bytes=10**6).chunks
    assert chunks[0].data["facts"] == {"参数": "S, M, L"} and chunks[1].data["facts"] == {"材质": "乳胶", "厚度": "5mm"}


def test_a_table_under_a_key_is_one_fact_holding_every_row():
    catalog = [{"sku": "MAT", "title": "3D脚垫", "price": 398,
                "fitment": [{"车型": "凯美瑞", "年款": "2018-2024"}, {"车型": "雅阁", "年款": "2018-2023"}]}]
    chunk = parse_document("catalog.json", json.dumps(catalog, ensure_ascii=False).encode(), max_bytes=10**6).chunks[0]
    assert chunk.data["facts"] == {"fitment": "凯美瑞 2018-2024；雅阁 2018-2023"}  # not only the last row's columns


def test_a_variants_restock_note_is_kept_with_it():
    from knowledge.facts import extract_variants

    variants = extract_variants({"skus": [{"sku": "A", "spec": "雾蓝", "price": 39, "stock": 0, "restock": "预计12月15日补货"},
                                          {"sku": "B", "spec": "奶白", "price": 39, "stock": 5}]})
    assert variants[0]["restock"] == "预计12月15日补货" and "restock" not in variants[1]
