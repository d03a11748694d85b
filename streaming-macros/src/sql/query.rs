//! A query as the lowering needs it: the supported subset of SQL, read from `sqlparser`'s
//! syntax tree. Anything outside the subset is an error naming the construct, so the
//! lowering only ever sees what it can compile.

use sqlparser::ast as sql;

/// `SELECT .. FROM .. [WHERE ..] [GROUP BY ..] [HAVING ..] [ORDER BY ..] [LIMIT n]`
pub struct Query {
    pub distinct: bool,
    pub select: Vec<SelectItem>,
    pub from: From,
    /// `[LEFT] JOIN right ON a.x = b.y [AND ..]`
    pub join: Option<Join>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<u64>,
}

/// `FROM stream [AS alias [(col, ..)]]`
pub struct From {
    pub stream: String,
    /// The alias's column list: the stream's elements are values (one column) or tuples
    /// (one column per field), named here.
    pub columns: Option<Vec<String>>,
    /// The alias (or the stream's name): what `alias.col` qualifies columns with.
    pub name: String,
}

/// An equi-join of the FROM stream with another, per batch or, with a time range, across
/// batches.
pub struct Join {
    pub left_outer: bool,
    pub right: From,
    /// `ON` as pairs of equal expressions (either side may be written first).
    pub on: Vec<(Expr, Expr)>,
    /// `ON`'s comparisons (`<`, `<=`, `>`, `>=`, and BETWEEN's two): a time range between
    /// the two streams' times.
    pub range: Vec<(Expr, BinOp, Expr)>,
}

pub enum SelectItem {
    /// `*`: the row as it is.
    Wildcard,
    Expr {
        expr: Expr,
        /// The output column's name (its alias, the column it reads, or the expression's
        /// text).
        label: String,
        /// Whether the label is a name a Rust field can have as it is.
        aliased: bool,
    },
}

pub struct OrderKey {
    pub expr: Expr,
    pub descending: bool,
    /// `NULLS FIRST` (`Some(true)`) / `NULLS LAST`; Spark's default: first when ascending.
    pub nulls_first: Option<bool>,
}

#[derive(Clone, PartialEq, Debug)]
pub enum Expr {
    Column(String),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Binary(Box<Expr>, BinOp, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    IsNull(Box<Expr>, bool),
    Like {
        expr: Box<Expr>,
        pattern: String,
        negated: bool,
    },
    Cast(Box<Expr>, SqlType),
    Case {
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Func(Func, Vec<Expr>),
    /// An aggregate; `None` is `*` (COUNT(*)).
    Agg(Agg, Option<Box<Expr>>),
    /// `window(time, 'W' [, 'S'])` / `session_window(time, 'G')` (and Flink's TUMBLE, HOP,
    /// SESSION) in GROUP BY: event-time windows over the stream's `event_time` stamp.
    TimeWindow(TimeWindow),
}

/// An event-time window of GROUP BY, in milliseconds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimeWindow {
    Fixed { length: u64, slide: u64 },
    Session { gap: u64 },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SqlType {
    BigInt,
    Double,
    String,
    Boolean,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Func {
    Lower,
    Upper,
    Length,
    Concat,
    Substring,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Agg {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

/// What the subset does not hold: the message names the construct.
pub type Unsupported = String;

fn unsupported<T>(what: impl std::fmt::Display) -> Result<T, Unsupported> {
    Err(format!(
        "{what} is not supported in a pipeline's SQL (see the README's \"SQL\" table for what is)"
    ))
}

/// The query of a `sql("..")` text: exactly one SELECT statement.
pub fn read(text: &str) -> Result<Query, Unsupported> {
    // Spark's dialect (Databricks): `window` is a column name there. Literals are read raw
    // and unescaped as Spark does (`spark_unescape`), which keeps `\%` and `\_` for LIKE.
    let dialect = sqlparser::dialect::DatabricksDialect {};
    let statements = sqlparser::parser::Parser::new(&dialect)
        .with_options(sqlparser::parser::ParserOptions::new().with_unescape(false))
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| format!("this SQL does not parse: {e}"))?;
    let [statement] = &statements[..] else {
        return Err(format!(
            "`sql(..)` takes one SELECT statement, this text has {}",
            statements.len()
        ));
    };
    let sql::Statement::Query(q) = statement else {
        return unsupported(format_args!("a `{}` statement", first_word(statement)));
    };
    query(q)
}

fn first_word(s: &sql::Statement) -> String {
    s.to_string()
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned()
}

fn query(q: &sql::Query) -> Result<Query, Unsupported> {
    if q.with.is_some() {
        return unsupported("WITH");
    }
    if q.fetch.is_some() {
        return unsupported("FETCH");
    }
    let s = match &*q.body {
        sql::SetExpr::Select(s) => s,
        sql::SetExpr::SetOperation { op, .. } => return unsupported(format_args!("`{op}`")),
        other => return unsupported(format_args!("`{other}`")),
    };
    if s.top.is_some() {
        return unsupported("TOP");
    }
    if s.into.is_some() {
        return unsupported("SELECT INTO");
    }
    if !s.lateral_views.is_empty() {
        return unsupported("LATERAL VIEW");
    }
    if s.qualify.is_some() {
        return unsupported("QUALIFY");
    }
    if !s.named_window.is_empty() {
        return unsupported("WINDOW clauses");
    }
    let distinct = match &s.distinct {
        None => false,
        Some(sql::Distinct::Distinct) => true,
        Some(other) => return unsupported(format_args!("`{other}`")),
    };
    let (from, join) = match &s.from[..] {
        [] => return Err("a query needs `FROM stream`, naming a stream of the pipeline".into()),
        [one] => from(one)?,
        [_, more @ ..] => {
            return unsupported(format_args!(
                "a FROM list of several streams (`, {}`)",
                more[0]
            ));
        }
    };
    let mut select = Vec::new();
    for item in &s.projection {
        select.push(match item {
            sql::SelectItem::Wildcard(_) => SelectItem::Wildcard,
            sql::SelectItem::UnnamedExpr(e) => {
                let expr = expr(e)?;
                let (label, aliased) = match &expr {
                    Expr::Column(c) => (c.clone(), true),
                    _ => (e.to_string(), false),
                };
                SelectItem::Expr {
                    expr,
                    label,
                    aliased,
                }
            }
            sql::SelectItem::ExprWithAlias { expr: e, alias } => SelectItem::Expr {
                expr: expr(e)?,
                label: alias.value.clone(),
                aliased: true,
            },
            other => return unsupported(format_args!("`{other}` in SELECT")),
        });
    }
    let group_by = match &s.group_by {
        sql::GroupByExpr::Expressions(exprs, modifiers) => {
            if let Some(m) = modifiers.first() {
                return unsupported(format_args!("GROUP BY .. {m}"));
            }
            exprs.iter().map(expr).collect::<Result<_, _>>()?
        }
        sql::GroupByExpr::All(_) => return unsupported("GROUP BY ALL"),
    };
    let order_by = match &q.order_by {
        None => Vec::new(),
        Some(o) => match &o.kind {
            sql::OrderByKind::Expressions(keys) => keys
                .iter()
                .map(|k| {
                    Ok(OrderKey {
                        expr: expr(&k.expr)?,
                        descending: matches!(k.options.sort, Some(sql::OrderBySort::Desc)),
                        nulls_first: k.options.nulls_first,
                    })
                })
                .collect::<Result<_, Unsupported>>()?,
            sql::OrderByKind::All(_) => return unsupported("ORDER BY ALL"),
        },
    };
    let limit = match &q.limit_clause {
        None => None,
        Some(sql::LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            if offset.is_some() {
                return unsupported("OFFSET");
            }
            if !limit_by.is_empty() {
                return unsupported("LIMIT BY");
            }
            match limit.as_ref().map(expr).transpose()? {
                None => None,
                Some(Expr::Int(n)) if n >= 0 => Some(n as u64),
                Some(_) => return Err("LIMIT takes a whole number, such as `LIMIT 10`".into()),
            }
        }
        Some(other) => return unsupported(format_args!("`{other}`")),
    };
    Ok(Query {
        distinct,
        select,
        from,
        join,
        filter: s.selection.as_ref().map(expr).transpose()?,
        group_by,
        having: s.having.as_ref().map(expr).transpose()?,
        order_by,
        limit,
    })
}

fn from(t: &sql::TableWithJoins) -> Result<(From, Option<Join>), Unsupported> {
    let left = table(&t.relation)?;
    let join = match &t.joins[..] {
        [] => None,
        [j] => {
            let (left_outer, constraint) = match &j.join_operator {
                sql::JoinOperator::Join(c) | sql::JoinOperator::Inner(c) => (false, c),
                sql::JoinOperator::Left(c) | sql::JoinOperator::LeftOuter(c) => (true, c),
                _ => {
                    return unsupported(format_args!("`{j}` (joins are inner or left equi-joins)"));
                }
            };
            let sql::JoinConstraint::On(on) = constraint else {
                return unsupported(format_args!("`{j}` without ON (write `ON a.k = b.k`)"));
            };
            let (mut pairs, mut range) = (Vec::new(), Vec::new());
            conditions(&expr(on)?, &mut pairs, &mut range)?;
            Some(Join {
                left_outer,
                right: table(&j.relation)?,
                on: pairs,
                range,
            })
        }
        [_, more @ ..] => {
            return unsupported(format_args!("a second JOIN (`{}`)", more[0]));
        }
    };
    Ok((left, join))
}

/// `a.x = b.y AND a.t >= b.u - INTERVAL '10' SECOND AND ..`: the equal pairs, and the
/// comparisons (a time range).
fn conditions(
    e: &Expr,
    pairs: &mut Vec<(Expr, Expr)>,
    range: &mut Vec<(Expr, BinOp, Expr)>,
) -> Result<(), Unsupported> {
    match e {
        Expr::Binary(a, BinOp::And, b) => {
            conditions(a, pairs, range)?;
            conditions(b, pairs, range)
        }
        Expr::Binary(a, BinOp::Eq, b) => {
            pairs.push(((**a).clone(), (**b).clone()));
            Ok(())
        }
        Expr::Binary(a, op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), b) => {
            range.push(((**a).clone(), *op, (**b).clone()));
            Ok(())
        }
        _ => Err("a JOIN's ON holds equalities of the two streams' columns joined by AND, such as `ON a.k = b.k`, and optionally a time range between their times, such as `AND a.t BETWEEN b.t - INTERVAL '10' SECOND AND b.t`".into()),
    }
}

fn table(t: &sql::TableFactor) -> Result<From, Unsupported> {
    let sql::TableFactor::Table { name, alias, .. } = t else {
        return unsupported(format_args!("`{t}` in FROM"));
    };
    let stream = match &name.0[..] {
        [part] => part.to_string(),
        _ => return unsupported(format_args!("a qualified name (`{name}`) in FROM")),
    };
    let (name, columns) = match alias {
        None => (stream.clone(), None),
        Some(a) => (
            a.name.value.clone(),
            (!a.columns.is_empty())
                .then(|| a.columns.iter().map(|c| c.name.value.clone()).collect()),
        ),
    };
    Ok(From {
        stream,
        columns,
        name,
    })
}

fn expr(e: &sql::Expr) -> Result<Expr, Unsupported> {
    use sql::Expr as E;
    Ok(match e {
        E::Identifier(id) => Expr::Column(id.value.clone()),
        E::CompoundIdentifier(parts) => match &parts[..] {
            // `alias.column`: the lowering checks the alias.
            [table, column] => Expr::Column(format!("{}.{}", table.value, column.value)),
            _ => return unsupported(format_args!("the name `{e}`")),
        },
        E::Value(v) => value(&v.value)?,
        E::Nested(inner) => expr(inner)?,
        E::BinaryOp { left, op, right } => {
            let op = match op {
                sql::BinaryOperator::Plus => BinOp::Add,
                sql::BinaryOperator::Minus => BinOp::Sub,
                sql::BinaryOperator::Multiply => BinOp::Mul,
                sql::BinaryOperator::Divide => BinOp::Div,
                sql::BinaryOperator::Modulo => BinOp::Rem,
                sql::BinaryOperator::Eq => BinOp::Eq,
                sql::BinaryOperator::NotEq => BinOp::Ne,
                sql::BinaryOperator::Lt => BinOp::Lt,
                sql::BinaryOperator::LtEq => BinOp::Le,
                sql::BinaryOperator::Gt => BinOp::Gt,
                sql::BinaryOperator::GtEq => BinOp::Ge,
                sql::BinaryOperator::And => BinOp::And,
                sql::BinaryOperator::Or => BinOp::Or,
                sql::BinaryOperator::StringConcat => {
                    return Ok(Expr::Func(Func::Concat, vec![expr(left)?, expr(right)?]));
                }
                other => return unsupported(format_args!("the operator `{other}`")),
            };
            Expr::Binary(Box::new(expr(left)?), op, Box::new(expr(right)?))
        }
        E::UnaryOp { op, expr: inner } => match op {
            sql::UnaryOperator::Not => Expr::Not(Box::new(expr(inner)?)),
            sql::UnaryOperator::Minus => match expr(inner)? {
                Expr::Int(n) => Expr::Int(-n),
                Expr::Float(f) => Expr::Float(-f),
                x => Expr::Neg(Box::new(x)),
            },
            sql::UnaryOperator::Plus => expr(inner)?,
            other => return unsupported(format_args!("the operator `{other}`")),
        },
        // `x BETWEEN a AND b` is `x >= a AND x <= b` (both ends included).
        E::Between {
            expr: inner,
            negated,
            low,
            high,
        } => {
            let x = expr(inner)?;
            let both = Expr::Binary(
                Box::new(Expr::Binary(
                    Box::new(x.clone()),
                    BinOp::Ge,
                    Box::new(expr(low)?),
                )),
                BinOp::And,
                Box::new(Expr::Binary(Box::new(x), BinOp::Le, Box::new(expr(high)?))),
            );
            if *negated {
                Expr::Not(Box::new(both))
            } else {
                both
            }
        }
        E::IsNull(inner) => Expr::IsNull(Box::new(expr(inner)?), false),
        E::IsNotNull(inner) => Expr::IsNull(Box::new(expr(inner)?), true),
        E::Like {
            negated,
            any,
            expr: inner,
            pattern,
            escape_char,
        } => {
            if *any || escape_char.is_some() {
                return unsupported(format_args!("`{e}`"));
            }
            let Expr::Str(pattern) = expr(pattern)? else {
                return Err("LIKE takes a string literal pattern, such as `LIKE 'a%'`".into());
            };
            Expr::Like {
                expr: Box::new(expr(inner)?),
                pattern,
                negated: *negated,
            }
        }
        E::Cast {
            expr: inner,
            data_type,
            format: None,
            ..
        } => Expr::Cast(Box::new(expr(inner)?), sql_type(data_type)?),
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            let operand = operand.as_deref().map(expr).transpose()?;
            let whens = conditions
                .iter()
                .map(|w| {
                    let cond = expr(&w.condition)?;
                    let cond = match &operand {
                        // `CASE x WHEN v ..` is `CASE WHEN x = v ..`.
                        Some(x) => Expr::Binary(Box::new(x.clone()), BinOp::Eq, Box::new(cond)),
                        None => cond,
                    };
                    Ok((cond, expr(&w.result)?))
                })
                .collect::<Result<_, Unsupported>>()?;
            Expr::Case {
                whens,
                otherwise: else_result.as_deref().map(expr).transpose()?.map(Box::new),
            }
        }
        E::Substring {
            expr: inner,
            substring_from,
            substring_for,
            ..
        } => {
            let mut args = vec![expr(inner)?];
            match substring_from {
                Some(f) => args.push(expr(f)?),
                None => return Err("substring takes a start: `substring(s, 1, 3)`".into()),
            }
            if let Some(f) = substring_for {
                args.push(expr(f)?);
            }
            Expr::Func(Func::Substring, args)
        }
        E::Function(f) => function(f)?,
        // `INTERVAL '10' MINUTE` / `INTERVAL '10 minutes'`: kept as the text a window reads.
        E::Interval(i) => {
            let Expr::Str(n) = expr(&i.value)? else {
                return unsupported(format_args!("`{e}`"));
            };
            match &i.leading_field {
                None => Expr::Str(n),
                Some(unit) => Expr::Str(format!("{n} {unit}")),
            }
        }
        other => return unsupported(format_args!("`{other}`")),
    })
}

fn value(v: &sql::Value) -> Result<Expr, Unsupported> {
    Ok(match v {
        sql::Value::Number(n, _) => match n.parse::<i64>() {
            Ok(i) => Expr::Int(i),
            Err(_) => Expr::Float(
                n.parse::<f64>()
                    .map_err(|_| format!("`{n}` is not a number SQL here can hold"))?,
            ),
        },
        sql::Value::SingleQuotedString(s) => Expr::Str(spark_unescape(s)),
        sql::Value::Boolean(b) => Expr::Bool(*b),
        sql::Value::Null => Expr::Null,
        other => return unsupported(format_args!("the literal `{other}`")),
    })
}

fn sql_type(t: &sql::DataType) -> Result<SqlType, Unsupported> {
    use sql::DataType as D;
    Ok(match t {
        D::BigInt(_) | D::Int(_) | D::Integer(_) | D::Int64 | D::SmallInt(_) | D::TinyInt(_) => {
            SqlType::BigInt
        }
        D::Double(_) | D::DoublePrecision | D::Float(_) | D::Float64 | D::Real | D::Float8 => {
            SqlType::Double
        }
        D::String(_) | D::Varchar(_) | D::Text | D::Char(_) => SqlType::String,
        D::Boolean | D::Bool => SqlType::Boolean,
        other => return unsupported(format_args!("CAST to `{other}`")),
    })
}

fn function(f: &sql::Function) -> Result<Expr, Unsupported> {
    let name = f.name.to_string().to_ascii_lowercase();
    if f.over.is_some() {
        return unsupported(format_args!("the window function `{f}` (OVER)"));
    }
    if f.filter.is_some() {
        return unsupported(format_args!("FILTER in `{f}`"));
    }
    let list = match &f.args {
        sql::FunctionArguments::List(list) => list,
        // A keyword some dialects read as a function without parentheses (`user`): here
        // a column.
        sql::FunctionArguments::None if f.name.0.len() == 1 => {
            return Ok(Expr::Column(f.name.to_string()));
        }
        _ => return unsupported(format_args!("`{f}`")),
    };
    let distinct = matches!(
        list.duplicate_treatment,
        Some(sql::DuplicateTreatment::Distinct)
    );
    let mut star = false;
    let mut args = Vec::new();
    for a in &list.args {
        match a {
            sql::FunctionArg::Unnamed(sql::FunctionArgExpr::Expr(e)) => args.push(expr(e)?),
            sql::FunctionArg::Unnamed(sql::FunctionArgExpr::Wildcard) => star = true,
            other => return unsupported(format_args!("the argument `{other}` of `{name}`")),
        }
    }
    let arity = |n: std::ops::RangeInclusive<usize>, usage: &str| {
        if star || !n.contains(&args.len()) {
            Err(format!("`{name}` takes {usage}"))
        } else {
            Ok(())
        }
    };
    let agg = |a: Agg, args: &mut Vec<Expr>| Expr::Agg(a, Some(Box::new(args.remove(0))));
    Ok(match name.as_str() {
        "count" if star && args.is_empty() && !distinct => Expr::Agg(Agg::Count, None),
        "count" => {
            arity(
                1..=1,
                "`*` or one column: `count(*)`, `count(x)`, `count(DISTINCT x)`",
            )?;
            agg(
                if distinct {
                    Agg::CountDistinct
                } else {
                    Agg::Count
                },
                &mut args,
            )
        }
        "sum" | "avg" | "min" | "max" => {
            arity(1..=1, "one argument")?;
            if distinct {
                return unsupported(format_args!("`{name}(DISTINCT ..)`"));
            }
            let a = match name.as_str() {
                "sum" => Agg::Sum,
                "avg" => Agg::Avg,
                "min" => Agg::Min,
                _ => Agg::Max,
            };
            agg(a, &mut args)
        }
        "lower" | "lcase" => {
            arity(1..=1, "one argument")?;
            Expr::Func(Func::Lower, args)
        }
        "upper" | "ucase" => {
            arity(1..=1, "one argument")?;
            Expr::Func(Func::Upper, args)
        }
        "length" | "char_length" | "character_length" => {
            arity(1..=1, "one argument")?;
            Expr::Func(Func::Length, args)
        }
        "concat" => {
            arity(1..=usize::MAX, "one argument or more")?;
            Expr::Func(Func::Concat, args)
        }
        "substring" | "substr" => {
            arity(
                2..=3,
                "a string, a start and maybe a length: `substring(s, 1, 3)`",
            )?;
            Expr::Func(Func::Substring, args)
        }
        "window" | "tumble" => {
            arity(
                2..=3,
                "a time column, a length and maybe a slide: `window(time, '1 hour')`, `window(time, '10 minutes', '5 minutes')`",
            )?;
            let length = interval(&args[1])?;
            let slide = args.get(2).map(interval).transpose()?.unwrap_or(length);
            Expr::TimeWindow(TimeWindow::Fixed { length, slide })
        }
        // Flink's HOP(time, slide, size): the slide first.
        "hop" => {
            arity(
                3..=3,
                "a time column, a slide and a size: `HOP(time, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE)`",
            )?;
            Expr::TimeWindow(TimeWindow::Fixed {
                length: interval(&args[2])?,
                slide: interval(&args[1])?,
            })
        }
        "session_window" | "session" => {
            arity(
                2..=2,
                "a time column and a gap: `session_window(time, '5 minutes')`",
            )?;
            Expr::TimeWindow(TimeWindow::Session {
                gap: interval(&args[1])?,
            })
        }
        _ => return unsupported(format_args!("the function `{name}`")),
    })
}

/// A string literal's text as Spark reads it (its `unescapeSQLString`): `''` is a quote,
/// `\n`, `\t`, `\\`, `\'` and the like are escapes, but `\%` and `\_` stay as written, for
/// LIKE to read as a literal `%` or `_`; any other escaped character is itself.
fn spark_unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
            }
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('b') => out.push('\u{8}'),
                Some('Z') => out.push('\u{1a}'),
                Some(c @ ('%' | '_')) => {
                    out.push('\\');
                    out.push(c);
                }
                Some(c) => out.push(c),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// A window's duration, in milliseconds: Spark's `'1 hour'` text or an INTERVAL.
fn interval(e: &Expr) -> Result<u64, Unsupported> {
    let Expr::Str(text) = e else {
        return Err(
            "a window's duration is text such as `'10 minutes'` or `INTERVAL '10' MINUTE`".into(),
        );
    };
    duration_ms(text).ok_or_else(|| {
        format!(
            "`'{text}'` is not a duration: write e.g. '30 seconds', '10 minutes', '1 hour', '1 day'"
        )
    })
}

/// `"10 minutes"`, `"1 hour 30 minutes"`, `"500 milliseconds"` in milliseconds.
pub fn duration_ms(text: &str) -> Option<u64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() % 2 != 0 {
        return None;
    }
    let mut total: u64 = 0;
    for pair in words.chunks(2) {
        let n: u64 = pair[0].parse().ok()?;
        let unit = match pair[1].to_ascii_lowercase().as_str() {
            "ms" | "millisecond" | "milliseconds" => 1,
            "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
            "min" | "mins" | "minute" | "minutes" => 60_000,
            "h" | "hour" | "hours" => 3_600_000,
            "day" | "days" => 86_400_000,
            "week" | "weeks" => 604_800_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (total > 0).then_some(total)
}

impl Expr {
    /// Whether an aggregate is anywhere in it.
    pub fn has_agg(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Agg(..)));
        found
    }

    /// Calls `f` on this expression and every one inside it, outside in.
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Binary(a, _, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Not(a) | Expr::Neg(a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => a.visit(f),
            Expr::Like { expr, .. } => expr.visit(f),
            Expr::Case { whens, otherwise } => {
                for (c, r) in whens {
                    c.visit(f);
                    r.visit(f);
                }
                if let Some(o) = otherwise {
                    o.visit(f);
                }
            }
            Expr::Func(_, args) => args.iter().for_each(|a| a.visit(f)),
            Expr::Agg(_, Some(a)) => a.visit(f),
            _ => {}
        }
    }

    /// Calls `f` on this expression and every one inside it, outside in, to change them
    /// (the same walk as [`Expr::visit`]).
    pub fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Binary(a, _, b) => {
                a.visit_mut(f);
                b.visit_mut(f);
            }
            Expr::Not(a) | Expr::Neg(a) | Expr::IsNull(a, _) | Expr::Cast(a, _) => a.visit_mut(f),
            Expr::Like { expr, .. } => expr.visit_mut(f),
            Expr::Case { whens, otherwise } => {
                for (c, r) in whens {
                    c.visit_mut(f);
                    r.visit_mut(f);
                }
                if let Some(o) = otherwise {
                    o.visit_mut(f);
                }
            }
            Expr::Func(_, args) => args.iter_mut().for_each(|a| a.visit_mut(f)),
            Expr::Agg(_, Some(a)) => a.visit_mut(f),
            _ => {}
        }
    }
}

/// An expression as SQL text, for messages: `sum(price * 2)`, `lower(name) LIKE 'a%'`.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Column(c) => f.write_str(c),
            Expr::Int(n) => write!(f, "{n}"),
            Expr::Float(x) => write!(f, "{x:?}"),
            Expr::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Expr::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
            Expr::Null => f.write_str("NULL"),
            Expr::Binary(a, op, b) => {
                let op = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                    BinOp::Rem => "%",
                    BinOp::Eq => "=",
                    BinOp::Ne => "<>",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    BinOp::Ge => ">=",
                    BinOp::And => "AND",
                    BinOp::Or => "OR",
                };
                write!(f, "{} {op} {}", Nested(a), Nested(b))
            }
            Expr::Not(a) => write!(f, "NOT {}", Nested(a)),
            Expr::Neg(a) => write!(f, "-{}", Nested(a)),
            Expr::IsNull(a, negated) => {
                let not = if *negated { " NOT" } else { "" };
                write!(f, "{} IS{not} NULL", Nested(a))
            }
            Expr::Like {
                expr,
                pattern,
                negated,
            } => {
                let not = if *negated { " NOT" } else { "" };
                write!(
                    f,
                    "{}{not} LIKE {}",
                    Nested(expr),
                    Expr::Str(pattern.clone())
                )
            }
            Expr::Cast(a, t) => {
                let t = match t {
                    SqlType::BigInt => "BIGINT",
                    SqlType::Double => "DOUBLE",
                    SqlType::String => "STRING",
                    SqlType::Boolean => "BOOLEAN",
                };
                write!(f, "CAST({a} AS {t})")
            }
            Expr::Case { whens, otherwise } => {
                f.write_str("CASE")?;
                for (c, r) in whens {
                    write!(f, " WHEN {c} THEN {r}")?;
                }
                if let Some(o) = otherwise {
                    write!(f, " ELSE {o}")?;
                }
                f.write_str(" END")
            }
            Expr::Func(func, args) => {
                let name = match func {
                    Func::Lower => "lower",
                    Func::Upper => "upper",
                    Func::Length => "length",
                    Func::Concat => "concat",
                    Func::Substring => "substring",
                };
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Agg(a, arg) => {
                let name = match a {
                    Agg::Count | Agg::CountDistinct => "count",
                    Agg::Sum => "sum",
                    Agg::Avg => "avg",
                    Agg::Min => "min",
                    Agg::Max => "max",
                };
                let distinct = if *a == Agg::CountDistinct {
                    "DISTINCT "
                } else {
                    ""
                };
                match arg {
                    None => write!(f, "{name}(*)"),
                    Some(x) => write!(f, "{name}({distinct}{x})"),
                }
            }
            Expr::TimeWindow(_) => f.write_str("window"),
        }
    }
}

/// An operand, in parentheses when it is itself an operation.
struct Nested<'a>(&'a Expr);

impl std::fmt::Display for Nested<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            e @ (Expr::Binary(..) | Expr::Not(_) | Expr::IsNull(..) | Expr::Like { .. }) => {
                write!(f, "({e})")
            }
            e => write!(f, "{e}"),
        }
    }
}
