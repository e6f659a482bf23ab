from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from marketing.segments import register_segment_evaluator
        from marketing.whatif import register_order_history
        from orders.marketing_bridge import OrdersSegmentEvaluator, order_history

        register_segment_evaluator(OrdersSegmentEvaluator())
        register_order_history(order_history)
