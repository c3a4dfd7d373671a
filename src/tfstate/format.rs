//! Text conversions that ecspresso's tfstate template functions perform in Go: `fmt.Sprintf`
//! for `tfstatef` ([`go_sprintf`]) and the rendering of a looked-up value into a template
//! ([`template_text`]). Pure string work: it must not know about state files or templates.
//!
//! Go's behaviour is followed where it is observable in a deployed definition; where Go
//! would print an inline error marker into the text (`%!d(string=x)`, `%!s(MISSING)`), this
//! returns an error instead, because a half-rendered address is never what the user meant.

use serde_json::Value;

/// Go's `fmt.Sprintf(format, args...)` for the verbs `tfstatef` needs: `%s`, `%d`, `%v`, `%q`
/// and `%%`, with the flags `-` (left-justify), `0` (zero padding), `+` and space (signs of
/// `%d`) and a decimal width. `%s` also accepts numbers and booleans (printed as `%v` does,
/// where Go would print `%!s(int=1)`). Every argument must be used, as Go's `%!(EXTRA …)` marker
/// would otherwise end up inside an address.
pub fn go_sprintf(format: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
            spec.width = spec.width * 10 + digit as usize;
            if spec.width > 1024 {
                return Err("the width is too large".into());
            }
            chars.next();
        }
        let Some(verb) = chars.next() else {
            return Err("the format ends with a lone %".into());
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if matches!(verb, '.' | '[' | '*') {
            return Err(format!(
                "%{verb}… (precision, argument indexes, * widths) is not supported"
            ));
        }
        if !matches!(verb, 's' | 'd' | 'v' | 'q') {
            return Err(format!("%{verb} is not supported"));
        }
        let Some(arg) = args.get(next_arg) else {
            return Err(format!(
                "%{verb} has no argument: the format needs more than the {} given",
                args.len()
            ));
        };
        next_arg += 1;
        let (text, numeric) = match verb {
            's' | 'v' => (go_value(arg), false),
            'd' => (integer(arg, &spec)?, true),
            _ => (go_quote_arg(arg)?, false),
        };
        pad(&mut out, &text, &spec, numeric);
    }
    if next_arg < args.len() {
        return Err(format!(
            "{} argument{} given but the format uses {next_arg}",
            args.len(),
            if args.len() == 1 { " is" } else { "s are" }
        ));
    }
    Ok(out)
}

/// What a looked-up value becomes in a text template, as tfstate-lookup's `Object.String()`:
/// a string as it is, anything else as compact JSON with Go's `json.Marshal` HTML escaping
/// (`<`, `>`, `&`, U+2028, U+2029 as `\u003c` …), so the text is byte-for-byte ecspresso's.
pub fn template_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let json = other.to_string();
            // These characters can only occur inside JSON strings, so replacing them
            // anywhere is safe.
            let mut out = String::with_capacity(json.len());
            for c in json.chars() {
                match c {
                    '<' => out.push_str("\\u003c"),
                    '>' => out.push_str("\\u003e"),
                    '&' => out.push_str("\\u0026"),
                    '\u{2028}' => out.push_str("\\u2028"),
                    '\u{2029}' => out.push_str("\\u2029"),
                    c => out.push(c),
                }
            }
            out
        }
    }
}

#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    width: usize,
}

fn pad(out: &mut String, text: &str, spec: &Spec, numeric: bool) {
    let len = text.chars().count();
    if len >= spec.width {
        out.push_str(text);
        return;
    }
    let fill = spec.width - len;
    if spec.left {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero {
        // Go pads strings with zeros too; for numbers the zeros go after the sign.
        let (sign, digits) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) if numeric => (Some(c), &text[1..]),
            _ => (None, text),
        };
        if let Some(sign) = sign {
            out.push(sign);
        }
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

/// `%v` of a decoded JSON value as Go prints the equivalent `interface{}`.
fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_value).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(map) => {
            // Go prints maps with sorted keys.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_value(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

fn integer(value: &Value, spec: &Spec) -> Result<String, String> {
    let n = match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i128)
            }),
        _ => None,
    };
    let Some(n) = n else {
        return Err(format!("%d needs an integer, got {}", describe(value)));
    };
    Ok(if n < 0 {
        n.to_string()
    } else if spec.plus {
        format!("+{n}")
    } else if spec.space {
        format!(" {n}")
    } else {
        n.to_string()
    })
}

/// `%q`: a Go double-quoted string literal, or a single-quoted character for an integer.
fn go_quote_arg(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(go_quote(s)),
        Value::Number(n) => {
            let c = n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .and_then(char::from_u32)
                .ok_or_else(|| format!("%q needs a string or a character code, got {n}"))?;
            let quoted = go_quote(&c.to_string());
            let inner = &quoted[1..quoted.len() - 1];
            Ok(match inner {
                "\\\"" => "'\"'".to_string(),
                "'" => "'\\''".to_string(),
                other => format!("'{other}'"),
            })
        }
        other => Err(format!("%q needs a string, got {}", describe(other))),
    }
}

/// Go's `strconv.Quote`: printable characters as they are, the usual backslash escapes, other
/// control characters as `\xNN`, and other non-printable code points as `\uNNNN`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("the string {}", go_quote(s)),
        Value::Null => "null".into(),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(format: &str, args: &[Value]) -> String {
        go_sprintf(format, args).unwrap_or_else(|e| panic!("{format}: {e}"))
    }

    #[test]
    fn verbs_as_go_prints_them() {
        assert_eq!(
            f(
                "data.aws_security_group.default['%s'].id",
                &[json!("first")]
            ),
            "data.aws_security_group.default['first'].id"
        );
        assert_eq!(
            f("aws_instance.web[%d].id", &[json!(2)]),
            "aws_instance.web[2].id"
        );
        assert_eq!(f("%d", &[json!(3.0)]), "3");
        assert_eq!(
            f("%v-%v-%v", &[json!("a"), json!(1), json!(true)]),
            "a-1-true"
        );
        assert_eq!(f("%v", &[json!(null)]), "<nil>");
        assert_eq!(f("%v", &[json!(1.5)]), "1.5");
        assert_eq!(f("%v", &[json!(["a", 1])]), "[a 1]");
        assert_eq!(f("%v", &[json!({"b": 2, "a": [1]})]), "map[a:[1] b:2]");
        assert_eq!(f("%s", &[json!(7)]), "7");
        assert_eq!(f("x[%q]", &[json!("a\"b\n")]), r#"x["a\"b\n"]"#);
        assert_eq!(f("%q", &[json!("\u{1}é")]), "\"\\x01é\"");
        assert_eq!(f("%q", &[json!(65)]), "'A'");
        assert_eq!(f("%q", &[json!(39)]), r"'\''");
        assert_eq!(f("100%% %s", &[json!("sure")]), "100% sure");
        assert_eq!(f("no verbs", &[]), "no verbs");
        assert_eq!(f("ünïcode %s ✓", &[json!("ok")]), "ünïcode ok ✓");
    }

    #[test]
    fn flags_and_width() {
        assert_eq!(f("%03d", &[json!(7)]), "007");
        assert_eq!(f("%03d", &[json!(-7)]), "-07");
        assert_eq!(f("%+d", &[json!(7)]), "+7");
        assert_eq!(f("% d", &[json!(7)]), " 7");
        assert_eq!(f("[%5s]", &[json!("ab")]), "[   ab]");
        assert_eq!(f("[%-5s]", &[json!("ab")]), "[ab   ]");
        assert_eq!(f("[%05s]", &[json!("ab")]), "[000ab]");
        assert_eq!(f("[%1s]", &[json!("abc")]), "[abc]");
    }

    #[test]
    fn mistakes_are_errors() {
        for (format, args) in [
            ("%s", vec![]),
            ("%s %s", vec![json!("a")]),
            ("%s", vec![json!("a"), json!("b")]),
            ("%d", vec![json!("3")]),
            ("%d", vec![json!(1.5)]),
            ("%x", vec![json!(1)]),
            ("%.2s", vec![json!("abc")]),
            ("%[1]s", vec![json!("abc")]),
            ("trailing %", vec![]),
            ("%q", vec![json!([1])]),
            ("%q", vec![json!(-1)]),
        ] {
            assert!(go_sprintf(format, &args).is_err(), "{format} {args:?}");
        }
        assert_eq!(
            go_sprintf("%s", &[json!("a"), json!("b")]).unwrap_err(),
            "2 arguments are given but the format uses 1"
        );
        assert_eq!(
            go_sprintf("%d", &[json!("x")]).unwrap_err(),
            "%d needs an integer, got the string \"x\""
        );
    }

    #[test]
    fn template_text_is_go_json() {
        assert_eq!(template_text(&json!("plain <text>")), "plain <text>");
        assert_eq!(template_text(&json!(2)), "2");
        assert_eq!(template_text(&json!(true)), "true");
        assert_eq!(template_text(&json!(["a", "b"])), r#"["a","b"]"#);
        assert_eq!(
            template_text(&json!({"h": "<a&b>"})),
            r#"{"h":"\u003ca\u0026b\u003e"}"#
        );
    }
}
